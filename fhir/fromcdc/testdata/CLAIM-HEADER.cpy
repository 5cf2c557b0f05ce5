      * CLAIM-HEADER: one adjudicated claim of a synthetic payer's
      * claims system, as unloaded nightly. Dates of service are packed
      * CYYMMDD (century digit 0 = 19xx, 1 = 20xx); the adjudication and
      * payment dates are zoned CCYYMMDD; amounts are packed decimals.
       01  CLAIM-HEADER.
           05  CLM-NO            PIC X(13).
           05  MEMBER-ID         PIC X(10).
           05  GROUP-NO          PIC X(8).
           05  SUBMITTER-ID      PIC X(10).
           05  PAT-CTRL-NO       PIC X(20).
           05  BILL-NPI          PIC 9(10).
           05  BILL-PROV-TYPE    PIC X.
           05  CLM-TYPE          PIC X.
           05  SVC-FROM-DT       PIC S9(7)    COMP-3.
           05  SVC-TO-DT         PIC S9(7)    COMP-3.
           05  ADJ-DT            PIC 9(8).
           05  PAID-DT           PIC 9(8).
           05  CLM-STAT          PIC X.
               88  CLM-PAID      VALUE 'P'.
               88  CLM-DENIED    VALUE 'D'.
           05  BILLED-AMT        PIC S9(7)V99 COMP-3.
           05  ALLOWED-AMT       PIC S9(7)V99 COMP-3.
           05  PAID-AMT          PIC S9(7)V99 COMP-3.
           05  FILLER            PIC X(10).
