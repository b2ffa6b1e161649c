package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Structured decision log: one JSON line per decision, carrying the correlation keys of the run or
 * tenant being handled ({@code uid}, {@code workflow}, {@code activity}, {@code stage}, {@code plugin},
 * {@code tenantId}). Every function and the plugin library log through this one facade, so the
 * format is decided in one place.
 * <pre>
 * Log.put(Log.UID, run.uid());              // correlation keys for what follows on this thread
 * LOG.info("plugin dispatched", "plugin", p);  // event name, then key/value pairs
 * Log.clear();                              // at the end of the invocation
 * </pre>
 * Level from {@code POWERTOOLS_LOG_LEVEL} (DEBUG, INFO, WARN, ERROR; default INFO).
 */
public final class Log {

    public static final String UID = "uid";
    public static final String WORKFLOW = "workflow";
    public static final String ACTIVITY = "activity";
    public static final String STAGE = "stage";
    public static final String PLUGIN = "plugin";
    public static final String TENANT_ID = "tenantId";

    /** Environment variable holding the level; the Powertools name, so operators set one knob. */
    public static final String LEVEL_VARIABLE = "POWERTOOLS_LOG_LEVEL";

    public enum Level { DEBUG, INFO, WARN, ERROR }

    private static final ThreadLocal<Map<String, String>> KEYS = ThreadLocal.withInitial(LinkedHashMap::new);
    private static volatile Level threshold = parse(System.getenv(LEVEL_VARIABLE));
    private static volatile Consumer<String> sink = line -> System.out.println(line);
    private static volatile String service = System.getenv().getOrDefault("POWERTOOLS_SERVICE_NAME",
            System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "orchestrator"));

    private final String logger;

    private Log(String logger) {
        this.logger = logger;
    }

    public static Log of(Class<?> type) {
        return new Log(type.getSimpleName());
    }

    /** Sets a correlation key for every later line on this thread (null removes it). */
    public static void put(String key, String value) {
        if (value == null) {
            KEYS.get().remove(key);
        } else {
            KEYS.get().put(key, value);
        }
    }

    /** Drops every correlation key of this thread (end of an invocation or of one run's work). */
    public static void clear() {
        KEYS.get().clear();
    }

    /** The correlation keys now set on this thread. */
    public static Map<String, String> keys() {
        return Map.copyOf(KEYS.get());
    }

    /** Level from a function's environment (handlers pass theirs; in-process runs differ per function). */
    public static void configure(Map<String, String> environment) {
        String v = environment.get(LEVEL_VARIABLE);
        if (v != null) {
            threshold = parse(v);
        }
    }

    /** Where lines go (stdout by default); the local runner and tests redirect it. */
    public static void sink(Consumer<String> lines) {
        sink = lines;
    }

    public static void sink(PrintStream out) {
        sink = out::println;
    }

    public static boolean enabled(Level level) {
        return level.ordinal() >= threshold.ordinal();
    }

    public void debug(String event, Object... keyValues) {
        write(Level.DEBUG, event, null, keyValues);
    }

    public void info(String event, Object... keyValues) {
        write(Level.INFO, event, null, keyValues);
    }

    public void warn(String event, Object... keyValues) {
        write(Level.WARN, event, null, keyValues);
    }

    public void error(String event, Throwable cause, Object... keyValues) {
        write(Level.ERROR, event, cause, keyValues);
    }

    private void write(Level level, String event, Throwable cause, Object... keyValues) {
        if (!enabled(level)) {
            return;
        }
        ObjectNode o = Json.object();
        o.put("timestamp", Instant.now().toString());
        o.put("level", level.name());
        o.put("service", service);
        o.put("logger", logger);
        o.put("message", event);
        KEYS.get().forEach(o::put);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            String k = String.valueOf(keyValues[i]);
            if (v == null) {
                continue;
            }
            if (v instanceof Number n) {
                o.put(k, n.toString().contains(".") ? o.numberNode(n.doubleValue()) : o.numberNode(n.longValue()));
            } else if (v instanceof Boolean b) {
                o.put(k, b);
            } else {
                o.put(k, String.valueOf(v));
            }
        }
        if (cause != null) {
            o.put("error", cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }
        sink.accept(Json.write(o));
    }

    static Level parse(String value) {
        if (value == null || value.isBlank()) {
            return Level.INFO;
        }
        try {
            return Level.valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }
}
