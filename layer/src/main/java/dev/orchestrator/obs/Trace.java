package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.awscore.AwsExecutionAttribute;
import software.amazon.awssdk.awscore.AwsResponse;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * X-Ray subsegments of a traced invocation, sent to the X-Ray daemon without the X-Ray SDK (whose recorder,
 * plugins and sampling rules would load at every cold start). Lambda records the invocation's segment itself
 * (active tracing); this adds, under it:
 * <ul>
 *   <li>one subsegment per AWS SDK call made by a client from {@code AwsClients} ({@link #SDK_CALLS}): service,
 *       operation, region, request id, table, topic or queue, HTTP status, and error / throttle / fault;</li>
 *   <li>one subsegment per unit of a run's work ({@link #open}): an engine step, a plugin invocation, a start,
 *       annotated with the run's correlation keys ({@code uid}, {@code workflow}, ...), so a run's work is found
 *       across invocations whose traces the status stream separates:
 *       {@code annotation.uid = "order-1001" AND annotation.workflow = "fulfilment"}.</li>
 * </ul>
 * <pre>
 * Trace.Config trace = Trace.Config.of(environment);   // at construction
 * Trace.begin(trace);                                  // first thing in handleRequest
 * try (Trace.Scope s = Trace.open("engine step")) { ... }   // annotated with Log.keys()
 * Trace.end();                                         // in the finally
 * </pre>
 * Active only when the invocation is sampled ({@code Sampled=1} in the trace header: the system property
 * {@code com.amazonaws.xray.traceHeader} that Lambda's Java runtime sets per invocation, else
 * {@code _X_AMZN_TRACE_ID} of the function's environment) and {@code AWS_XRAY_DAEMON_ADDRESS} is set. Otherwise
 * every call is a thread-local read, and no document, socket or id is made.
 */
public final class Trace {

    public static final String DAEMON_ADDRESS = "AWS_XRAY_DAEMON_ADDRESS";
    public static final String HEADER_VARIABLE = "_X_AMZN_TRACE_ID";
    public static final String HEADER_PROPERTY = "com.amazonaws.xray.traceHeader";

    private static final Log LOG = Log.of(Trace.class);
    private static final AtomicBoolean BAD_ADDRESS_LOGGED = new AtomicBoolean();
    private static final ThreadLocal<Invocation> CURRENT = new ThreadLocal<>();

    /** Every SDK call as a subsegment of the current traced invocation; AwsClients adds it to every client. */
    public static final ExecutionInterceptor SDK_CALLS = new SdkCalls();

    private Trace() {
    }

    /** What a function reads once from its environment: the daemon's address and the environment's trace header. */
    public record Config(InetSocketAddress daemon, String environmentHeader) {

        public static final Config OFF = new Config(null, null);

        public static Config of(Map<String, String> environment) {
            InetSocketAddress daemon = Trace.daemon(environment.get(DAEMON_ADDRESS));
            return daemon == null ? OFF : new Config(daemon, environment.get(HEADER_VARIABLE));
        }
    }

    /**
     * {@code host:port}, or the daemon's two-address form {@code tcp:host:port udp:host:port} (the UDP one is
     * used); null when unset or unreadable (then nothing is traced, and a warning names the value once).
     */
    static InetSocketAddress daemon(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String address = value.trim();
        for (String part : address.split("\\s+")) {
            if (part.startsWith("udp:")) {
                address = part.substring(4);
            }
        }
        int colon = address.lastIndexOf(':');
        try {
            if (colon <= 0 || address.contains(" ")) {
                throw new IllegalArgumentException("no host and port");
            }
            int port = Integer.parseInt(address.substring(colon + 1));
            return new InetSocketAddress(address.substring(0, colon), port);
        } catch (IllegalArgumentException e) {
            if (BAD_ADDRESS_LOGGED.compareAndSet(false, true)) {
                LOG.warn("X-Ray daemon address not understood; nothing is traced", "variable", DAEMON_ADDRESS,
                        "value", value, "cause", String.valueOf(e.getMessage()), "expected", "host:port or 'tcp:host:port udp:host:port'");
            }
            return null;
        }
    }

    /** The trace header's Root and Parent, when sampled and well formed; null otherwise. */
    record Header(String root, String parent) {
        static Header parse(String header) {
            if (header == null || header.isEmpty()) {
                return null;
            }
            String root = null;
            String parent = null;
            boolean sampled = false;
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith("Root=")) {
                    root = p.substring(5);
                } else if (p.startsWith("Parent=")) {
                    parent = p.substring(7);
                } else if (p.equals("Sampled=1")) {
                    sampled = true;
                }
            }
            if (!sampled || root == null || parent == null || !TraceDocument.TRACE_ID.matcher(root).matches()
                    || !TraceDocument.ID.matcher(parent).matches()) {
                return null;
            }
            return new Header(root, parent);
        }
    }

    /** A traced invocation on this thread: its trace, the function segment, the open scopes' ids. */
    private record Invocation(String traceId, String segmentId, InetSocketAddress daemon, Deque<String> open) {
        String parent() {
            String top = open.peek();
            return top != null ? top : segmentId;
        }

        void send(ObjectNode doc) {
            TraceEmitter.send(daemon, TraceDocument.datagram(doc));
        }
    }

    /** Starts this thread's invocation: traced when sampled and a daemon is known, else not (and costs nothing). */
    public static void begin(Config config) {
        CURRENT.remove();
        if (config == null || config.daemon() == null) {
            return;
        }
        String header = System.getProperty(HEADER_PROPERTY);
        Header h = Header.parse(header != null && !header.isEmpty() ? header : config.environmentHeader());
        if (h != null) {
            CURRENT.set(new Invocation(h.root(), h.parent(), config.daemon(), new ArrayDeque<>()));
        }
    }

    /** Ends this thread's invocation (every handler calls it in its finally). */
    public static void end() {
        CURRENT.remove();
    }

    /** Whether this thread's invocation is traced. */
    public static boolean active() {
        return CURRENT.get() != null;
    }

    /**
     * A subsegment for a unit of a run's work, annotated with the correlation keys ({@link Log#keys()}) set when it
     * opens or before it closes (a handler that learns the run's keys inside the scope still gets them).
     */
    public static Scope open(String name) {
        if (CURRENT.get() == null) {
            return Scope.NONE;
        }
        Scope s = open(name, Log.keys());
        s.keysFromLog = true;
        return s;
    }

    /** A subsegment annotated with {@code annotations}; SDK calls made until it closes are its children. */
    public static Scope open(String name, Map<String, String> annotations) {
        Invocation inv = CURRENT.get();
        if (inv == null) {
            return Scope.NONE;
        }
        Scope s = new Scope(inv, name, TraceDocument.newId(), inv.parent(), annotations);
        inv.open().push(s.id);
        return s;
    }

    /** An open subsegment; closing it sends it. {@link #NONE} (untraced) does nothing. */
    public static final class Scope implements AutoCloseable {
        static final Scope NONE = new Scope(null, null, null, null, Map.of());

        private final Invocation invocation;
        private final String name;
        private final String id;
        private final String parent;
        private final Map<String, String> annotations;
        private final long start;
        private Throwable failure;
        private boolean closed;
        private boolean keysFromLog;
        private final Map<String, String> added = new LinkedHashMap<>();

        private Scope(Invocation invocation, String name, String id, String parent, Map<String, String> annotations) {
            this.invocation = invocation;
            this.name = name;
            this.id = id;
            this.parent = parent;
            this.annotations = invocation == null ? Map.of() : new LinkedHashMap<>(annotations);
            this.start = invocation == null ? 0 : TraceDocument.nowMicros();
        }

        /** Adds an annotation (e.g. the outcome), searchable like the run's keys. */
        public Scope annotate(String key, String value) {
            if (invocation != null && value != null) {
                added.put(key, value);
            }
            return this;
        }

        /** Marks the work failed (a fault, with the exception as its cause). */
        public Scope fail(Throwable cause) {
            if (invocation != null) {
                failure = cause;
            }
            return this;
        }

        @Override
        public void close() {
            if (invocation == null || closed) {
                return;
            }
            closed = true;
            invocation.open().remove(id);
            ObjectNode doc = TraceDocument.subsegment(invocation.traceId(), parent, id, name, start, TraceDocument.nowMicros());
            if (keysFromLog) {
                annotations.putAll(Log.keys());
            }
            annotations.putAll(added);
            TraceDocument.annotate(doc, annotations);
            if (failure != null) {
                TraceDocument.failure(doc, 0, failure);
            }
            invocation.send(doc);
        }
    }

    /** The SDK side: start time before the call, a subsegment after it (or after its failure). */
    private static final class SdkCalls implements ExecutionInterceptor {
        private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("orchestrator.trace.started");

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            if (CURRENT.get() != null) {
                attributes.putAttribute(STARTED, TraceDocument.nowMicros());
            }
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            Invocation inv = CURRENT.get();
            Long started = attributes.getAttribute(STARTED);
            if (inv == null || started == null) {
                return;
            }
            String requestId = context.response() instanceof AwsResponse r ? r.responseMetadata().requestId() : null;
            inv.send(document(inv, started, context.request(), attributes, context.httpResponse().statusCode(), requestId, null));
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            Invocation inv = CURRENT.get();
            Long started = attributes.getAttribute(STARTED);
            if (inv == null || started == null) {
                return;
            }
            Throwable e = context.exception();
            int status = e instanceof AwsServiceException s ? s.statusCode()
                    : context.httpResponse().map(r -> r.statusCode()).orElse(0);
            String requestId = e instanceof AwsServiceException s ? s.requestId() : null;
            inv.send(document(inv, started, context.request(), attributes, status, requestId, e));
        }

        private static ObjectNode document(Invocation inv, long started, SdkRequest request, ExecutionAttributes attributes,
                                           int status, String requestId, Throwable failure) {
            ObjectNode doc = TraceDocument.subsegment(inv.traceId(), inv.parent(), TraceDocument.newId(),
                    attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME), started, TraceDocument.nowMicros());
            doc.put("namespace", "aws");
            ObjectNode aws = doc.putObject("aws");
            aws.put("operation", attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
            var region = attributes.getAttribute(AwsExecutionAttribute.AWS_REGION);
            if (region != null) {
                aws.put("region", region.id());
            }
            if (requestId != null) {
                aws.put("request_id", requestId);
            }
            request.getValueForField("TableName", String.class).ifPresent(v -> aws.put("table_name", v));
            request.getValueForField("TopicArn", String.class).ifPresent(v -> aws.put("topic_arn", v));
            request.getValueForField("QueueUrl", String.class).ifPresent(v -> aws.put("queue_url", v));
            if (status > 0) {
                doc.putObject("http").putObject("response").put("status", status);
            }
            if (failure != null || status >= 400) {
                TraceDocument.failure(doc, status, failure);
            }
            return doc;
        }
    }
}
