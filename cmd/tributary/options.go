package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
	"github.com/tributary-health/tributary/identity"
	"github.com/tributary-health/tributary/stream"
)

// options holds every flag of every command; each command registers the
// groups it uses.
type options struct {
	// logging
	logLevel, logFormat string

	// Kafka
	brokers           listFlag
	topicPrefix       string
	partitions        int
	replicationFactor int
	compression       string
	deliveryTimeout   time.Duration

	// embedded broker (run)
	brokerAddr string
	dataDir    string
	syncWrites bool

	// PostgreSQL
	databaseURL string
	// identity: resolve Patients into persons with these thresholds.
	identity       bool
	identityConfig identity.Config

	// mapping
	defaultTimezone      string
	facilityTimezones    mapFlag
	assigningAuthorities mapFlag

	// MLLP
	mllpAddr        string
	mllpMaxFrame    int
	mllpReadTimeout time.Duration
	mllpIdleTimeout time.Duration
	mllpMaxConns    int
	mllpTLSCert     string
	mllpTLSKey      string
	forward         forwardOptions // relaying to a legacy engine (forward.go)

	// stages
	instanceID     string
	normalizeGroup string
	materializeGrp string
	cdcMapping     string // fromcdc mapping file of the normalizer (convert_cdc.go)

	materializeTopic string // a replay's staging topic instead of fhir.v1

	// API
	httpAddr  string
	baseURL   string
	adminAddr string

	// X12 intake (ingest x12, run)
	x12MaxInterchange int
	x12MaxBody        int
	x12DupWindow      time.Duration
	x12DupLimit       int

	// run
	demo bool
}

const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/tributary"

func (o *options) logFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
}

func (o *options) kafkaFlags(fs *flag.FlagSet, defaultBrokers string) {
	if defaultBrokers != "" {
		_ = o.brokers.Set(defaultBrokers)
	}
	fs.Var(&o.brokers, "brokers", "Kafka seed brokers, comma-separated host:port")
	fs.StringVar(&o.topicPrefix, "topic-prefix", event.DefaultPrefix, "prefix of every topic name")
	fs.IntVar(&o.partitions, "partitions", 6, "partitions per topic when creating topics")
	fs.IntVar(&o.replicationFactor, "replication-factor", -1, "replication factor when creating topics (-1: the broker's default)")
	fs.StringVar(&o.compression, "compression", "", "batch codec per topic family, e.g. raw=lz4,fhir=gzip (default raw=lz4, others gzip, which every client reads)")
	fs.DurationVar(&o.deliveryTimeout, "delivery-timeout", 30*time.Second, "how long an adapter waits for Kafka before answering its sender with an error")
}

func (o *options) embeddedFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.brokerAddr, "broker-addr", "127.0.0.1:9092", "listen address of the embedded broker (used when --brokers is empty)")
	fs.StringVar(&o.dataDir, "data-dir", "./var", "directory of the embedded broker's data; a restart keeps everything")
	fs.BoolVar(&o.syncWrites, "sync-writes", false, "fsync every batch in the embedded broker before acknowledging it")
}

func (o *options) databaseFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.databaseURL, "database-url", defaultDatabaseURL, "PostgreSQL URL; the database is created if missing")
}

func (o *options) mappingFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.defaultTimezone, "default-timezone", "UTC", "time zone of source timestamps that carry none (IANA name, or Local)")
	fs.Var(&o.facilityTimezones, "facility-timezones", "time zone per sending facility (MSH-4.1), e.g. GHH=America/Chicago,NORTH=America/Denver")
	fs.Var(&o.assigningAuthorities, "assigning-authorities", "identifier system URI per HL7 assigning authority (namespace or universal id), e.g. GHH=https://ghh.example.org/mrn")
}

func (o *options) mllpFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.mllpAddr, "mllp-addr", ":2575", "MLLP listen address")
	fs.IntVar(&o.mllpMaxFrame, "mllp-max-frame", 4<<20, "largest MLLP frame accepted, in bytes")
	fs.DurationVar(&o.mllpReadTimeout, "mllp-read-timeout", 30*time.Second, "time allowed to receive one frame once it has started")
	fs.DurationVar(&o.mllpIdleTimeout, "mllp-idle-timeout", 10*time.Minute, "close MLLP connections idle this long")
	fs.IntVar(&o.mllpMaxConns, "mllp-max-connections", 1000, "most concurrent MLLP connections")
	fs.StringVar(&o.mllpTLSCert, "mllp-tls-cert", "", "PEM certificate file; with --mllp-tls-key, MLLP is served over TLS")
	fs.StringVar(&o.mllpTLSKey, "mllp-tls-key", "", "PEM private key file for --mllp-tls-cert")
	o.forward.flags(fs)
}

// instanceFlag registers --instance-id once, whichever stage asks first.
func (o *options) instanceFlag(fs *flag.FlagSet) {
	if fs.Lookup("instance-id") != nil {
		return
	}
	host, _ := os.Hostname()
	fs.StringVar(&o.instanceID, "instance-id", host, "name of this instance: unique among running instances, stable across restarts (a StatefulSet pod name); it makes the Kafka transactional id and static group member ids, so a restart recovers at once")
}

func (o *options) normalizeFlags(fs *flag.FlagSet) {
	o.instanceFlag(fs)
	fs.StringVar(&o.normalizeGroup, "normalize-group", "", "consumer group of the normalizers (default <topic-prefix>normalize)")
	fs.StringVar(&o.cdcMapping, "cdc-mapping", "", "mapping file (JSON, docs/cdc-mapping.md) of raw.cdc.v1 tables to FHIR; without it CDC envelopes go to the dead-letter topic")
}

// kafkaConfig is the stream config of a one-shot command that needs
// Kafka (its flags parsed): --brokers is required.
func (o *options) kafkaConfig(stderr io.Writer) (stream.Config, error) {
	if len(o.brokers) == 0 {
		return stream.Config{}, usageError{errors.New("--brokers is required")}
	}
	log, err := o.logger(stderr)
	if err != nil {
		return stream.Config{}, err
	}
	return o.streamConfig(log)
}

// identityFlags registers the master patient index flags of the stages
// that normalize.
func (o *options) identityFlags(fs *flag.FlagSet) {
	o.identityConfig = identity.DefaultConfig()
	fs.BoolVar(&o.identity, "identity", true, "link the Patients of one person across feeds (the index lives in --database-url); off: each Patient is its own person")
	fs.Float64Var(&o.identityConfig.AutoLink, "identity-auto-link", o.identityConfig.AutoLink, "match score at or above which two Patients are linked without review (docs/identity-matching.md)")
	fs.Float64Var(&o.identityConfig.Review, "identity-review", o.identityConfig.Review, "match score at or above which a pair goes to the review queue")
}

func (o *options) materializeFlags(fs *flag.FlagSet) {
	o.instanceFlag(fs)
	fs.StringVar(&o.materializeGrp, "materialize-group", "", "consumer group of the materializers (default <topic-prefix>materialize)")
	fs.StringVar(&o.materializeTopic, "materialize-topic", "", "topic of FHIR resources to materialize (default the fhir.v1 topic; a replay's staging topic builds a store from that replay)")
}

// adminFlags registers --admin-addr for commands without the API.
func (o *options) adminFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.adminAddr, "admin-addr", "", "listen address for /healthz, /readyz and /metrics (off when empty)")
}

func (o *options) apiFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.httpAddr, "http-addr", "127.0.0.1:8080", "HTTP listen address of the FHIR API, /healthz, /readyz and /metrics")
	fs.StringVar(&o.baseURL, "base-url", "", "public base URL of the FHIR API for links (default: from each request)")
}

func (o *options) x12Flags(fs *flag.FlagSet) {
	fs.IntVar(&o.x12MaxInterchange, "x12-max-interchange-size", 960<<10, "largest X12 interchange stored, in bytes (one Kafka record; the broker's limit is 1 MB by default)")
	fs.IntVar(&o.x12MaxBody, "x12-max-body", 16<<20, "largest POST /x12 body, in bytes")
	fs.DurationVar(&o.x12DupWindow, "x12-duplicate-window", 24*time.Hour, "how long an interchange control number is remembered per sender (in memory) to answer a resend TA1 R 025; 0 turns the check off")
	fs.IntVar(&o.x12DupLimit, "x12-duplicate-limit", 100000, "most interchange control numbers remembered; past it the oldest are forgotten early")
}

func (o *options) streamConfig(log *slog.Logger) (stream.Config, error) {
	comp, err := stream.ParseCompression(o.compression)
	if err != nil {
		return stream.Config{}, usageError{err}
	}
	return stream.Config{
		Brokers:         o.brokers,
		Topics:          event.NewTopics(o.topicPrefix),
		Compression:     comp,
		ClientID:        "tributary",
		DeliveryTimeout: o.deliveryTimeout,
		Logger:          log,
	}, nil
}

func (o *options) mapperConfig() (fromv2.Config, error) {
	loc, err := loadLocation(o.defaultTimezone)
	if err != nil {
		return fromv2.Config{}, usageError{fmt.Errorf("--default-timezone: %w", err)}
	}
	cfg := fromv2.Config{
		Systems:           fhir.Systems{AssigningAuthorities: o.assigningAuthorities},
		DefaultLocation:   loc,
		FacilityLocations: map[string]*time.Location{},
	}
	for fac, name := range o.facilityTimezones {
		l, err := loadLocation(name)
		if err != nil {
			return fromv2.Config{}, usageError{fmt.Errorf("--facility-timezones %s: %w", fac, err)}
		}
		cfg.FacilityLocations[fac] = l
	}
	return cfg, nil
}

func (o *options) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, usageError{fmt.Errorf("--log-level: %w", err)}
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(o.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, usageError{fmt.Errorf("--log-format: want text or json, got %q", o.logFormat)}
}
