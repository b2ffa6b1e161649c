package dev.orchestrator.obs;

import com.amazonaws.services.lambda.runtime.Context;
import dev.orchestrator.core.EnvNames;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Structured decision log: one JSON line per decision, carrying the correlation keys of the run or
 * tenant being handled ({@code uid}, {@code workflow}, {@code activity}, {@code stage}, {@code plugin},
 * {@code tenantId}). Every function and the plugin library log through this one facade, so the
 * format is decided in one place.
 * <pre>
 * Log.init(context);                        // Lambda fields: function_request_id, function_name, cold_start, ...
 * Log.put(Log.UID, run.uid());              // correlation keys for what follows on this thread
 * LOG.info("plugin dispatched", "plugin", p);  // event name, then key/value pairs
 * Log.clearKeys();                          // one run done, the next one of this invocation follows
 * Log.clear();                              // at the end of the invocation (the Lambda fields go too)
 * </pre>
 * Lines are written by log4j2 in our JSON template ({@code OrchestratorJsonLayout.json}, Powertools' resolvers):
 * correlation keys and the call's key/value pairs travel in log4j's {@link ThreadContext}, which the
 * layout writes as top-level fields. log4j starts on the first line written (not at class load), so
 * a function that logs nothing pays nothing at cold start.
 * Level from {@code POWERTOOLS_LOG_LEVEL} (DEBUG, INFO, WARN, ERROR; default INFO).
 */
public final class Log {

    public static final String UID = "uid";
    public static final String WORKFLOW = "workflow";
    public static final String ACTIVITY = "activity";
    public static final String STAGE = "stage";
    public static final String PLUGIN = "plugin";
    public static final String TENANT_ID = "tenantId";
    /** The plugin's attempt at its work, set once claimed so its one outcome line carries it. */
    public static final String ATTEMPT = "attempt";

    /** Environment variable holding the level; the Powertools name, so operators set one knob. */
    public static final String LEVEL_VARIABLE = EnvNames.LOG_LEVEL;

    public enum Level { DEBUG, INFO, WARN, ERROR }

    /** The Lambda fields {@link #init} sets, named as Powertools' layout names them. */
    static final String FUNCTION_NAME = "function_name";
    static final String FUNCTION_REQUEST_ID = "function_request_id";
    static final String COLD_START = "cold_start";
    static final String XRAY_TRACE_ID = "xray_trace_id";
    private static final List<String> LAMBDA_FIELDS = List.of(FUNCTION_NAME, FUNCTION_REQUEST_ID,
            COLD_START, XRAY_TRACE_ID);

    /** Functions that have had their first invocation in this JVM (one on Lambda; many in-process). */
    private static final Set<String> WARM = ConcurrentHashMap.newKeySet();

    private static final ThreadLocal<Map<String, String>> KEYS = ThreadLocal.withInitial(LinkedHashMap::new);
    private static volatile Level threshold = parse(System.getenv(LEVEL_VARIABLE));

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
            ThreadContext.remove(key);
        } else {
            KEYS.get().put(key, value);
            ThreadContext.put(key, value);
        }
    }

    /** Drops every correlation key and the Lambda fields of this thread (end of an invocation). */
    public static void clear() {
        KEYS.get().clear();
        ThreadContext.clearMap();
    }

    /**
     * Drops the correlation keys of this thread (one run's work done) and keeps the Lambda fields of
     * the invocation, for the next run of the same batch.
     */
    public static void clearKeys() {
        KEYS.get().keySet().forEach(ThreadContext::remove);
        KEYS.get().clear();
    }

    /** The correlation keys now set on this thread. */
    public static Map<String, String> keys() {
        return Map.copyOf(KEYS.get());
    }

    /**
     * Adds the invocation's Lambda fields to every later line on this thread, under the names of
     * Powertools' layout: {@code function_request_id}, {@code function_name}, {@code cold_start} (the first
     * invocation of this function in this JVM) and, when Lambda traces the invocation, {@code xray_trace_id}.
     * The function's ARN, version and memory size are left out: the log group already names the function,
     * and on every line they were about a third of what CloudWatch Logs bills (README, Logs).
     * Set straight into log4j's ThreadContext (no Powertools call, which would start log4j's
     * configuration on every cold start even when nothing is logged). A null context (a direct call
     * from a tool or a test) only drops the fields of an earlier invocation.
     */
    public static void init(Context context) {
        LAMBDA_FIELDS.forEach(ThreadContext::remove);
        if (context == null) {
            return;
        }
        String name = context.getFunctionName();
        putIfPresent(FUNCTION_NAME, name);
        putIfPresent(FUNCTION_REQUEST_ID, context.getAwsRequestId());
        ThreadContext.put(COLD_START, Boolean.toString(WARM.add(name == null ? "" : name)));
        putIfPresent(XRAY_TRACE_ID, traceRoot(System.getProperty("com.amazonaws.xray.traceHeader",
                System.getenv(Trace.HEADER_VARIABLE))));
    }

    /** The Root of an X-Ray trace header ({@code Root=1-...;Parent=...;Sampled=1}), or null. */
    static String traceRoot(String header) {
        if (header == null) {
            return null;
        }
        for (String part : header.split(";")) {
            if (part.startsWith("Root=")) {
                return part.substring("Root=".length());
            }
        }
        return null;
    }

    private static void putIfPresent(String key, String value) {
        if (value != null && !value.isEmpty()) {
            ThreadContext.put(key, value);
        }
    }

    /** Level from a function's environment (handlers pass theirs; in-process runs differ per function). */
    public static void configure(Map<String, String> environment) {
        String v = environment.get(LEVEL_VARIABLE);
        if (v != null) {
            threshold = parse(v);
        }
    }

    /** Where lines go (stdout by default); the local runner and tests redirect it. Null restores stdout. */
    public static void sink(Consumer<String> lines) {
        Backend.redirect(lines);
    }

    public static void sink(PrintStream out) {
        sink(out::println);
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
        // The call's pairs ride in ThreadContext for this one line; earlier values come back after it.
        Map<String, String> saved = new LinkedHashMap<>();
        saved.put("logger", ThreadContext.get("logger"));
        ThreadContext.put("logger", logger);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            if (v == null) {
                continue;
            }
            String k = String.valueOf(keyValues[i]);
            saved.putIfAbsent(k, ThreadContext.get(k));
            ThreadContext.put(k, String.valueOf(v));
        }
        try {
            Logger out = Backend.LOGGER;
            switch (level) {
                case DEBUG -> out.debug(event, cause);
                case INFO -> out.info(event, cause);
                case WARN -> out.warn(event, cause);
                case ERROR -> out.error(event, cause);
            }
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) {
                    ThreadContext.remove(k);
                } else {
                    ThreadContext.put(k, v);
                }
            });
        }
    }

    static Level parse(String value) {
        if (value == null || value.isBlank()) {
            return Level.INFO;
        }
        try {
            return Level.valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return Level.INFO;
        }
    }

    /** log4j, started on first use (holder idiom) so its configuration is not part of every cold start. */
    private static final class Backend {
        static final String CONSOLE = "JsonAppender";
        static final String SINK = "OrchestratorSink";
        static final Logger LOGGER = LogManager.getLogger("orchestrator");

        static synchronized void redirect(Consumer<String> lines) {
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            Configuration cfg = ctx.getConfiguration();
            LoggerConfig lc = cfg.getLoggerConfig(LOGGER.getName());
            var console = cfg.getAppender(CONSOLE);
            lc.removeAppender(SINK);
            lc.removeAppender(CONSOLE);
            if (lines == null) {
                lc.addAppender(console, null, null);
            } else {
                SinkAppender sink = new SinkAppender(console.getLayout(), lines);
                sink.start();
                lc.addAppender(sink, null, null);
            }
            ctx.updateLoggers();
        }
    }

    /** Hands each formatted line (same layout as stdout) to a consumer. */
    private static final class SinkAppender extends AbstractAppender {
        private final Consumer<String> lines;

        SinkAppender(org.apache.logging.log4j.core.Layout<?> layout, Consumer<String> lines) {
            super(Backend.SINK, null, layout, true, Property.EMPTY_ARRAY);
            this.lines = lines;
        }

        @Override
        public void append(LogEvent event) {
            lines.accept(new String(getLayout().toByteArray(event), StandardCharsets.UTF_8).stripTrailing());
        }
    }
}
