package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * An activity's map (issue 21): its parallel stage runs each subscribed plugin once per element of a list.
 * {@code items} is a path: {@code $.metadata.<key>[.<key>...]} (resolved when the run starts) or
 * {@code $.inputs.<Activity>.<plugin>[.<key>...]} (an output of an activity this one depends on, resolved when the
 * stage starts) or {@code s3://<bucket>/<key>} (an object holding a JSON array, read when the stage starts). At most
 * {@code maxConcurrency} elements are in flight per plugin; the stage fails once more
 * elements failed than {@code toleratedFailureCount} (default 0) or {@code toleratedFailurePercentage} allow.
 * Pure: parsing and resolution only.
 */
public record MapSpec(String items, int maxConcurrency, Integer toleratedFailureCount, Double toleratedFailurePercentage) {

    /** The most elements a map may have (Step Functions' Distributed Map child-execution batch, by comparison). */
    public static final int MAX_ITEMS = 10_000;
    /** The default {@code maxConcurrency}: enough to keep a plugin busy, few enough to respect a downstream API. */
    public static final int DEFAULT_MAX_CONCURRENCY = 40;
    /** The most elements in flight one map may ask for. */
    public static final int MAX_CONCURRENCY = 1_000;
    public static final String METADATA_PREFIX = "$.metadata.";
    public static final String INPUTS_PREFIX = "$.inputs.";
    public static final String S3_PREFIX = "s3://";
    /**
     * The largest list object a map reads from S3: 10,000 elements of a few KiB each, well inside the engine's
     * memory; a larger list is refused naming its size.
     */
    public static final long MAX_S3_LIST_BYTES = 64L * 1024 * 1024;

    /** Whether {@code path} points into an upstream output (resolved when the stage starts). */
    public boolean fromInputs() {
        return items.startsWith(INPUTS_PREFIX);
    }

    /** Whether the list is an S3 object (read when the stage starts). */
    public boolean fromS3() {
        return items.startsWith(S3_PREFIX);
    }

    /** Whether the list is in the run's metadata (resolved when the run starts). */
    public boolean fromMetadata() {
        return items.startsWith(METADATA_PREFIX);
    }

    /** For {@code s3://b/k}: the bucket b. */
    public String s3Bucket() {
        String rest = items.substring(S3_PREFIX.length());
        return rest.substring(0, rest.indexOf('/'));
    }

    /** For {@code s3://b/k}: the key k. */
    public String s3Key() {
        String rest = items.substring(S3_PREFIX.length());
        return rest.substring(rest.indexOf('/') + 1);
    }

    /**
     * Why the engine may not read this map's S3 list, or null: it reads lists only from the stack's payload bucket and
     * the bucket the {@code MapListBucket} parameter names (its role reads no other).
     */
    public String s3BucketProblem(String field, String payloadBucket, String listBucket) {
        String b = s3Bucket();
        if (b.equals(payloadBucket) || (listBucket != null && !listBucket.isBlank() && b.equals(listBucket))) {
            return null;
        }
        return field + " \"" + Names.shorten(items) + "\" is in bucket " + Names.shorten(b) + ", which the engine may not read: a map "
                + "reads a list from the payload bucket (" + payloadBucket + ") or the stack parameter MapListBucket ("
                + (listBucket == null || listBucket.isBlank() ? "not set" : listBucket) + ")";
    }

    /** The segments after {@code $.metadata.} or {@code $.inputs.} (none for an S3 list: the object is the list). */
    public List<String> segments() {
        if (fromS3()) {
            return List.of();
        }
        String rest = fromInputs() ? items.substring(INPUTS_PREFIX.length()) : items.substring(METADATA_PREFIX.length());
        return List.of(rest.split("\\.", -1));
    }

    /** For {@code $.inputs.A.p...}: the activity A. */
    public String inputActivity() {
        return segments().get(0);
    }

    /** For {@code $.inputs.A.p...}: the plugin p. */
    public String inputPlugin() {
        return segments().get(1);
    }

    /**
     * Parses {@code map} of {@code field} (e.g. {@code activities[1].map}); every problem goes to {@code errors},
     * each naming its field. Null when there is no valid map.
     */
    public static MapSpec parse(JsonNode map, String field, List<String> errors) {
        if (map == null || map.isNull()) {
            return null;
        }
        if (!map.isObject()) {
            errors.add(field + " must be an object {items, maxConcurrency, toleratedFailureCount | toleratedFailurePercentage}");
            return null;
        }
        int before = errors.size();
        List<String> known = List.of("items", "maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage");
        map.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                errors.add(field + "." + f + " is not a map field (" + String.join(", ", known) + ")");
            }
        });
        JsonNode items = map.get("items");
        String path = null;
        if (items == null || !items.isTextual()) {
            errors.add(field + ".items is required: a path such as \"$.metadata.regions\", \"$.inputs.Provision.dns.hosts\" or "
                    + "\"s3://bucket/lists/hosts.json\"");
        } else {
            path = items.asText();
            String problem = pathProblem(path);
            if (problem != null) {
                errors.add(field + ".items " + problem);
            }
        }
        int concurrency = DEFAULT_MAX_CONCURRENCY;
        JsonNode c = map.get("maxConcurrency");
        if (c != null && !c.isNull()) {
            if (!c.isIntegralNumber() || !c.canConvertToInt() || c.asInt() < 1 || c.asInt() > MAX_CONCURRENCY) {
                errors.add(field + ".maxConcurrency must be a whole number between 1 and " + MAX_CONCURRENCY + ", got " + c);
            } else {
                concurrency = c.asInt();
            }
        }
        Integer count = null;
        JsonNode n = map.get("toleratedFailureCount");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0 || n.asInt() > MAX_ITEMS) {
                errors.add(field + ".toleratedFailureCount must be a whole number between 0 and " + MAX_ITEMS + ", got " + n);
            } else {
                count = n.asInt();
            }
        }
        Double pct = null;
        JsonNode p = map.get("toleratedFailurePercentage");
        if (p != null && !p.isNull()) {
            if (!p.isNumber() || p.asDouble() < 0 || p.asDouble() > 100) {
                errors.add(field + ".toleratedFailurePercentage must be a number between 0 and 100, got " + p);
            } else {
                pct = p.asDouble();
            }
        }
        if (n != null && !n.isNull() && p != null && !p.isNull()) {
            errors.add(field + " may give toleratedFailureCount or toleratedFailurePercentage, not both");
        }
        return errors.size() == before ? new MapSpec(path, concurrency, count, pct) : null;
    }

    /** Why a path is not one a map can use, or null. */
    static String pathProblem(String path) {
        String rest;
        int min;
        if (path.startsWith(METADATA_PREFIX)) {
            rest = path.substring(METADATA_PREFIX.length());
            min = 1;
        } else if (path.startsWith(INPUTS_PREFIX)) {
            rest = path.substring(INPUTS_PREFIX.length());
            min = 2;
        } else if (path.startsWith(S3_PREFIX)) {
            String loc = path.substring(S3_PREFIX.length());
            int slash = loc.indexOf('/');
            if (slash <= 0 || slash == loc.length() - 1) {
                return "must name a bucket and a key after \"s3://\", got \"" + Names.shorten(path) + "\"";
            }
            return null;
        } else {
            return "must start with \"$.metadata.\", \"$.inputs.<Activity>.<plugin>\" or \"s3://\", got \"" + Names.shorten(path) + "\"";
        }
        String[] parts = rest.split("\\.", -1);
        for (String s : parts) {
            if (s.isEmpty()) {
                return "has an empty segment: \"" + Names.shorten(path) + "\"";
            }
        }
        if (parts.length < min) {
            return "must name an activity and a plugin after \"$.inputs.\", got \"" + Names.shorten(path) + "\"";
        }
        return null;
    }

    /** A resolved list, or why the path gives none (naming {@code field}). */
    public record Resolved(List<JsonNode> items, String problem) {
    }

    /**
     * Follows {@code segments} from {@code root} (the metadata, or the upstream plugin's output object): the value
     * must exist, be a JSON array and have at most {@link #MAX_ITEMS} elements.
     */
    public static Resolved resolve(JsonNode root, List<String> segments, String field, String path) {
        JsonNode at = root;
        for (String s : segments) {
            if (at == null || !at.isObject() || !at.has(s)) {
                return new Resolved(null, field + " \"" + path + "\" does not resolve: no \"" + s + "\"");
            }
            at = at.get(s);
        }
        if (at == null || !at.isArray()) {
            String got = at == null || at.isNull() ? "null" : at.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
            return new Resolved(null, field + " \"" + path + "\" is not a list (it is " + got + ")");
        }
        if (at.size() > MAX_ITEMS) {
            return new Resolved(null, field + " \"" + path + "\" has " + at.size() + " elements; a map takes at most " + MAX_ITEMS);
        }
        List<JsonNode> out = new ArrayList<>(at.size());
        at.forEach(out::add);
        return new Resolved(out, null);
    }

    /**
     * The failures a map of {@code total} elements tolerates: {@code toleratedFailureCount}, else
     * floor(total x {@code toleratedFailurePercentage} / 100), else 0.
     */
    public int tolerated(int total) {
        if (toleratedFailureCount != null) {
            return toleratedFailureCount;
        }
        if (toleratedFailurePercentage != null) {
            return (int) Math.floor(total * toleratedFailurePercentage / 100.0 + 1e-9);
        }
        return 0;
    }

    /** Which knob set the tolerance, for messages. */
    public String toleranceField() {
        return toleratedFailureCount != null ? "toleratedFailureCount " + toleratedFailureCount
                : toleratedFailurePercentage != null ? "toleratedFailurePercentage " + toleratedFailurePercentage
                : "toleratedFailureCount 0 (the default)";
    }
}
