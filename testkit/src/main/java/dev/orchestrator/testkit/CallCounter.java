package dev.orchestrator.testkit;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Counts AWS API calls as they go to the wire, by the function that owns the client, service and
 * operation, and the service errors they got back (e.g. {@code ConditionalCheckFailedException}).
 * Thread-safe. Register it where clients are built (the orchestrator's {@code AwsClients.observe});
 * the owner is read from the execution attribute given here, {@code "unknown"} when a client has none.
 * Every HTTP attempt counts, retries included: that is what AWS bills.
 */
public final class CallCounter implements ExecutionInterceptor {

    /** One counted kind of call. */
    public record Call(String function, String service, String operation) implements Comparable<Call> {
        @Override
        public int compareTo(Call o) {
            return (function + '\0' + service + '\0' + operation).compareTo(o.function + '\0' + o.service + '\0' + o.operation);
        }

        public String api() {
            return service + "." + operation;
        }
    }

    private final ExecutionAttribute<String> owner;
    private final Map<Call, LongAdder> calls = new ConcurrentHashMap<>();
    private final Map<Call, Map<String, LongAdder>> errors = new ConcurrentHashMap<>();
    /** Calls that name a table (DynamoDB's TableName), by call and table. */
    private final Map<Call, Map<String, LongAdder>> byTable = new ConcurrentHashMap<>();

    public CallCounter(ExecutionAttribute<String> owner) {
        this.owner = owner;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        Call call = call(attributes);
        calls.computeIfAbsent(call, c -> new LongAdder()).increment();
        context.request().getValueForField("TableName", String.class).ifPresent(table ->
                byTable.computeIfAbsent(call, c -> new ConcurrentHashMap<>()).computeIfAbsent(table, t -> new LongAdder()).increment());
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        String code = context.exception() instanceof AwsServiceException e && e.awsErrorDetails() != null
                ? e.awsErrorDetails().errorCode() : context.exception().getClass().getSimpleName();
        errors.computeIfAbsent(call(attributes), c -> new ConcurrentHashMap<>())
                .computeIfAbsent(String.valueOf(code), k -> new LongAdder()).increment();
    }

    private Call call(ExecutionAttributes attributes) {
        String function = attributes.getAttribute(owner);
        return new Call(function == null ? "unknown" : function,
                attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME),
                attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }

    /** Calls so far, sorted by function, service, operation. */
    public Map<Call, Long> calls() {
        Map<Call, Long> out = new TreeMap<>();
        calls.forEach((c, n) -> out.put(c, n.sum()));
        return out;
    }

    /** Calls so far by clients of one function, keyed {@code Service.Operation}. */
    public Map<String, Long> callsOf(String function) {
        Map<String, Long> out = new TreeMap<>();
        calls.forEach((c, n) -> {
            if (c.function().equals(function)) {
                out.merge(c.api(), n.sum(), Long::sum);
            }
        });
        return out;
    }

    /** Calls of one function and API ({@code Service.Operation}) that named this table. */
    public long callsOf(String function, String api, String table) {
        long sum = 0;
        for (var e : byTable.entrySet()) {
            if (e.getKey().function().equals(function) && e.getKey().api().equals(api)) {
                LongAdder n = e.getValue().get(table);
                sum += n == null ? 0 : n.sum();
            }
        }
        return sum;
    }

    public long totalOf(String function) {
        return callsOf(function).values().stream().mapToLong(Long::longValue).sum();
    }

    /** Failed calls of one function whose service error code is {@code code}. */
    public long errorsOf(String function, String code) {
        long sum = 0;
        for (var e : errors.entrySet()) {
            if (e.getKey().function().equals(function)) {
                LongAdder n = e.getValue().get(code);
                sum += n == null ? 0 : n.sum();
            }
        }
        return sum;
    }

    /** Error counts so far: call -> error code -> count. */
    public Map<Call, Map<String, Long>> errors() {
        Map<Call, Map<String, Long>> out = new TreeMap<>();
        errors.forEach((c, m) -> {
            Map<String, Long> codes = new TreeMap<>();
            m.forEach((k, n) -> codes.put(k, n.sum()));
            out.put(c, codes);
        });
        return out;
    }

    public void reset() {
        calls.clear();
        errors.clear();
        byTable.clear();
    }
}
