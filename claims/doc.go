// Package claims will hold the typed X12 5010 transaction models (837P,
// 837I, 837D, 835, 834) built from X12 loops, with money as integer cents.
//
// It is empty until issue C ("X12 claims") lands; the directory exists so
// the layout of DESIGN.md is in place from the start.
package claims
