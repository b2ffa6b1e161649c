package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * X-Ray subsegment documents, as the X-Ray daemon takes them over UDP: the header line
 * {@code {"format":"json","version":1}}, a newline, then one segment document. A subsegment sent on its own
 * names its trace ({@code trace_id}), its parent ({@code parent_id}: the function's segment from Lambda's trace
 * header, or an enclosing subsegment) and {@code "type":"subsegment"}; times are epoch seconds with a fraction.
 * Pure functions: {@link Trace} decides when, {@link TraceEmitter} sends.
 */
final class TraceDocument {

    static final String DAEMON_HEADER = "{\"format\":\"json\",\"version\":1}\n";

    /** A trace id as X-Ray writes it: version 1, eight hex digits of epoch seconds, 24 hex digits. */
    static final Pattern TRACE_ID = Pattern.compile("1-[0-9a-f]{8}-[0-9a-f]{24}");
    /** A segment or subsegment id: 16 hex digits. */
    static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

    /** Characters X-Ray accepts in a (sub)segment name: letters, digits, whitespace and {@code _ . : / % & # = + \ - @}. */
    private static final Pattern NAME_REFUSED = Pattern.compile("[^\\p{L}\\p{N}\\s_.:/%&#=+\\\\\\-@]");
    /** Annotation keys must be alphanumeric or underscore, or filter expressions cannot name them. */
    private static final Pattern KEY_REFUSED = Pattern.compile("[^A-Za-z0-9_]");

    private TraceDocument() {
    }

    /** A new 16-hex-digit id (not secret: ThreadLocalRandom, no SecureRandom seeding at cold start). */
    static String newId() {
        long v = ThreadLocalRandom.current().nextLong();
        String hex = Long.toHexString(v);
        return "0".repeat(16 - hex.length()) + hex;
    }

    /** Epoch seconds with microseconds, X-Ray's time format, from epoch microseconds. */
    static double seconds(long epochMicros) {
        return epochMicros / 1_000_000.0;
    }

    static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** A completed subsegment: name (cleaned to X-Ray's characters, at most 200), ids, times. */
    static ObjectNode subsegment(String traceId, String parentId, String id, String name, long startMicros, long endMicros) {
        ObjectNode doc = Json.object();
        doc.put("name", name(name));
        doc.put("id", id);
        doc.put("trace_id", traceId);
        doc.put("parent_id", parentId);
        doc.put("type", "subsegment");
        doc.put("start_time", seconds(startMicros));
        doc.put("end_time", seconds(Math.max(startMicros, endMicros)));
        return doc;
    }

    /** Adds {@code annotations} (keys cleaned to letters, digits and underscore; values at most 1000 characters). */
    static void annotate(ObjectNode doc, Map<String, String> annotations) {
        if (annotations.isEmpty()) {
            return;
        }
        ObjectNode a = doc.putObject("annotations");
        annotations.forEach((k, v) -> {
            if (k != null && !k.isEmpty() && v != null) {
                a.put(KEY_REFUSED.matcher(k).replaceAll("_"), v.length() > 1000 ? v.substring(0, 1000) : v);
            }
        });
    }

    /** Marks a failure: {@code error} (4xx), {@code throttle} (429, with error) or {@code fault} (5xx or no answer), and its cause. */
    static void failure(ObjectNode doc, int httpStatus, Throwable cause) {
        if (httpStatus >= 400 && httpStatus < 500) {
            doc.put("error", true);
            if (httpStatus == 429) {
                doc.put("throttle", true);
            }
        } else {
            doc.put("fault", true);
        }
        if (cause != null) {
            ObjectNode e = doc.putObject("cause").putArray("exceptions").addObject();
            e.put("id", newId());
            e.put("type", cause.getClass().getName());
            String message = cause.getMessage();
            if (message != null) {
                e.put("message", message.length() > 1000 ? message.substring(0, 1000) : message);
            }
        }
    }

    /** What goes into one UDP datagram: the daemon's header line, then the document. */
    static String datagram(ObjectNode doc) {
        return DAEMON_HEADER + Json.write(doc);
    }

    static String name(String name) {
        String cleaned = NAME_REFUSED.matcher(name == null || name.isBlank() ? "unnamed" : name).replaceAll("_");
        return cleaned.length() > 200 ? cleaned.substring(0, 200) : cleaned;
    }
}
