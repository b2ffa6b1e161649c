package dev.orchestrator.bench;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.testkit.DynamoDbLimits;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Watches the orchestrator's own DynamoDB requests (every client {@code AwsClients} builds) and keeps
 * what the stream cannot tell: read units as DynamoDB bills them, from the items each read returned
 * (GetItem and BatchGetItem: ceil(item / 4 KB) per item, at least 1; Query and Scan: ceil(sum of the
 * page's items / 4 KB), at least 1; half of that when the read is eventually consistent), the write
 * requests per table and run (a write that changes nothing is billed but leaves no stream record), and
 * the conditional writes that failed (billed, no record).
 */
final class RequestMeter implements ExecutionInterceptor {

    private final Function<String, String> roleOfFunction;
    private final Function<String, String> tableName;
    /** role|table -> read requests, items returned, read units. */
    private final Map<String, LongAdder> readRequests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> readItems = new ConcurrentHashMap<>();
    private final Map<String, DoubleAdder> readUnits = new ConcurrentHashMap<>();
    /** table|run uid -> successful write requests (items, for batches). */
    private final Map<String, LongAdder> writes = new ConcurrentHashMap<>();
    /** role -> conditional writes refused. */
    private final Map<String, LongAdder> failedConditions = new ConcurrentHashMap<>();

    /**
     * @param roleOfFunction function name (AwsClients' owner attribute) -> role
     * @param tableName physical table name -> short name (status, history, plugins, ...)
     */
    RequestMeter(Function<String, String> roleOfFunction, Function<String, String> tableName) {
        this.roleOfFunction = roleOfFunction;
        this.tableName = tableName;
    }

    void reset() {
        readRequests.clear();
        readItems.clear();
        readUnits.clear();
        writes.clear();
        failedConditions.clear();
    }

    private String role(ExecutionAttributes attributes) {
        String f = attributes.getAttribute(AwsClients.FUNCTION);
        return roleOfFunction.apply(f == null ? "unknown" : f);
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        SdkRequest request = context.request();
        Object response = context.response();
        String role = role(attributes);
        if (request instanceof GetItemRequest r && response instanceof GetItemResponse g) {
            Map<String, AttributeValue> item = g.hasItem() ? g.item() : Map.of();
            read(role, r.tableName(), 1, g.hasItem() ? 1 : 0, units(DynamoDbLimits.itemSize(item), Boolean.TRUE.equals(r.consistentRead())));
        } else if (request instanceof QueryRequest r && response instanceof QueryResponse q) {
            read(role, r.tableName(), 1, q.items().size(), units(sum(q.items()), Boolean.TRUE.equals(r.consistentRead())));
        } else if (request instanceof ScanRequest r && response instanceof ScanResponse q) {
            read(role, r.tableName(), 1, q.items().size(), units(sum(q.items()), Boolean.TRUE.equals(r.consistentRead())));
        } else if (request instanceof BatchGetItemRequest r && response instanceof BatchGetItemResponse b) {
            b.responses().forEach((table, items) -> {
                boolean consistent = r.requestItems().containsKey(table) && Boolean.TRUE.equals(r.requestItems().get(table).consistentRead());
                double u = 0;
                for (Map<String, AttributeValue> item : items) {
                    u += units(DynamoDbLimits.itemSize(item), consistent);
                }
                read(role, table, 1, items.size(), u);
            });
        } else if (request instanceof PutItemRequest r) {
            write(r.tableName(), r.item());
        } else if (request instanceof UpdateItemRequest r) {
            write(r.tableName(), r.key());
        } else if (request instanceof DeleteItemRequest r) {
            write(r.tableName(), r.key());
        } else if (request instanceof BatchWriteItemRequest r && response instanceof BatchWriteItemResponse b) {
            r.requestItems().forEach((table, list) -> {
                List<WriteRequest> left = b.unprocessedItems().getOrDefault(table, List.of());
                for (WriteRequest w : list) {
                    if (left.contains(w)) {
                        continue;
                    }
                    write(table, w.putRequest() != null ? w.putRequest().item() : w.deleteRequest().key());
                }
            });
        }
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        if (context.exception() instanceof AwsServiceException e && e.awsErrorDetails() != null
                && "ConditionalCheckFailedException".equals(e.awsErrorDetails().errorCode())) {
            failedConditions.computeIfAbsent(role(attributes), k -> new LongAdder()).increment();
        }
    }

    private void read(String role, String table, long requests, long items, double units) {
        String key = role + "|" + tableName.apply(table);
        readRequests.computeIfAbsent(key, k -> new LongAdder()).add(requests);
        readItems.computeIfAbsent(key, k -> new LongAdder()).add(items);
        readUnits.computeIfAbsent(key, k -> new DoubleAdder()).add(units);
    }

    private void write(String table, Map<String, AttributeValue> keyOrItem) {
        String uid;
        try {
            uid = StreamMeter.runUid(keyOrItem);
        } catch (RuntimeException e) {
            uid = "?";
        }
        writes.computeIfAbsent(tableName.apply(table) + "|" + uid, k -> new LongAdder()).increment();
    }

    static double units(long bytes, boolean consistent) {
        long u = Math.max(1, (bytes + 4095) / 4096);
        return consistent ? u : u / 2d;
    }

    private static long sum(List<Map<String, AttributeValue>> items) {
        return items.stream().mapToLong(DynamoDbLimits::itemSize).sum();
    }

    /** role|table -> {requests, items, read units}. */
    Map<String, double[]> reads() {
        Map<String, double[]> out = new TreeMap<>();
        readRequests.forEach((k, v) -> out.put(k, new double[] {v.sum(), readItems.get(k).sum(), readUnits.get(k).sum()}));
        return out;
    }

    /** Successful write requests on a table (short name) for one run. */
    long writes(String table, String uid) {
        LongAdder n = writes.get(table + "|" + uid);
        return n == null ? 0 : n.sum();
    }

    Map<String, Long> failedConditions() {
        Map<String, Long> out = new TreeMap<>();
        failedConditions.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
