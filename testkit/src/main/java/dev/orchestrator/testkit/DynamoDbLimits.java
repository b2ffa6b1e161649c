package dev.orchestrator.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.ConditionCheck;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbRequest;
import software.amazon.awssdk.services.dynamodb.model.Get;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.Update;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Refuses, before it is sent, every DynamoDB request that DynamoDB itself would refuse for its size
 * or shape, because the emulator (moto) accepts most of them. An SDK {@link ExecutionInterceptor}:
 * on the classpath of a test JVM through the {@code orchestrator-testkit-limits} module (which lists
 * it in {@code software/amazon/awssdk/global/handlers/execution.interceptors}, so the SDK adds it to
 * every client it builds, the handlers' own included), or added to one client by hand with
 * {@code overrideConfiguration(o -> o.addExecutionInterceptor(new DynamoDbLimits()))}.
 *
 * <p>A refused request fails as AWS fails it: a {@link DynamoDbException} with error code
 * {@code ValidationException} and HTTP status 400, whose message starts with {@code [testkit]} and names
 * the limit, the operation, the table, the measured size and the allowed one. Nothing goes on the wire.
 * Every refusal is also kept in {@link #violations()} (a handler may catch the exception, a test can
 * still assert that nothing was refused), and the largest value measured per limit in {@link #peaks()}.
 *
 * <p>The limits, from the DynamoDB Developer Guide, "Constraints in Amazon DynamoDB" (sections
 * "Items", "Expression parameters", "DynamoDB transactions", "API-specific constraints") and the API
 * reference of TransactWriteItems, BatchWriteItem and BatchGetItem; 1 KB = 1,024 bytes there:
 * <ul>
 *   <li>"The maximum length of any expression string is 4 KB" (Update, Condition, KeyCondition,
 *       Filter and Projection expressions; the length is the UTF-8 bytes of the string as sent);
 *   <li>"The maximum length of any single expression attribute name or expression attribute value is
 *       255 bytes. For example, {@code #name} is 5 bytes": the placeholder, not what it stands for;
 *   <li>"The maximum length of all substitution variables in an expression is 2 MB. This is the sum of
 *       the lengths of all ExpressionAttributeNames and ExpressionAttributeValues": measured here per
 *       request (or per transaction action) as placeholders + names in UTF-8 + values by the item size
 *       rules below (an estimate: DynamoDB does not say how it measures a value here);
 *   <li>"The maximum number of operators or functions allowed in an UpdateExpression is 300"
 *       ({@code SET a = :v1 + :v2 + :v3} holds two): counted as {@code +}, {@code -} and function calls;
 *   <li>"The maximum number of operands for the IN comparator is 100";
 *   <li>"The maximum item size in DynamoDB is 400 KB", sized as the guide's "Item sizes and formats"
 *       says: attribute name UTF-8 bytes + value; string: UTF-8 bytes; number: 1 byte per two
 *       significant digits + 1; binary: raw bytes; boolean and null: 1; list and map: 3 + per element
 *       1 + its size (+ the key's bytes in a map); sets: the sum of their elements. Applied to PutItem
 *       items (alone, in a batch or in a transaction). For an UpdateItem the resulting item depends on
 *       what is stored, which a request alone cannot know: the kit checks the key plus the values the
 *       UpdateExpression can write (placeholders outside its REMOVE and DELETE clauses, each counted
 *       once), a lower bound of the item it produces;
 *   <li>TransactWriteItems "groups up to 100 action requests" and "The aggregate size of the items in
 *       the transaction cannot exceed 4 MB" (measured as the sum of put items, update keys + written
 *       values, and the keys of deletes and condition checks); TransactGetItems: up to 100 items;
 *   <li>BatchWriteItem: "up to 16MB of data over the network, consisting of up to 25 item put or delete
 *       operations" (measured as the sum of put items and delete keys by the item size rules);
 *   <li>BatchGetItem: "up to 100 items" (keys, over all tables).
 * </ul>
 * Not checked: key value lengths (2,048 / 1,024 bytes: they need the table's schema), nesting depth,
 * and requests made outside this JVM (plugins in other languages run as subprocesses).
 */
public final class DynamoDbLimits implements ExecutionInterceptor {

    public static final int KB = 1024;
    public static final long MAX_EXPRESSION_BYTES = 4 * KB;
    public static final long MAX_PLACEHOLDER_BYTES = 255;
    public static final long MAX_SUBSTITUTION_BYTES = 2L * KB * KB;
    public static final long MAX_UPDATE_OPERATORS = 300;
    public static final long MAX_IN_OPERANDS = 100;
    public static final long MAX_ITEM_BYTES = 400 * KB;
    public static final long MAX_TRANSACTION_ACTIONS = 100;
    public static final long MAX_TRANSACTION_BYTES = 4L * KB * KB;
    public static final long MAX_BATCH_WRITE_REQUESTS = 25;
    public static final long MAX_BATCH_WRITE_BYTES = 16L * KB * KB;
    public static final long MAX_BATCH_GET_KEYS = 100;

    /** One request refused: which limit, for which operation and table, measured against allowed. */
    public record Violation(String operation, String table, String limit, long measured, long allowed) {
        public String message() {
            return String.format(Locale.ROOT, "%s on table '%s': %s is %,d, over DynamoDB's limit of %,d",
                    operation, table, limit, measured, allowed);
        }
    }

    /** What the interceptor throws: a DynamoDB ValidationException, as AWS answers such a request. */
    public static final String ERROR_CODE = "ValidationException";

    private static final List<Violation> VIOLATIONS = new CopyOnWriteArrayList<>();
    private static final Map<String, LongAccumulator> PEAKS = new ConcurrentHashMap<>();

    /** Used by the SDK when it loads the interceptor from the classpath; state is shared by all instances. */
    public DynamoDbLimits() {
    }

    @Override
    public void beforeMarshalling(Context.BeforeMarshalling context, ExecutionAttributes attributes) {
        // After every interceptor's modifyRequest: this is the request that would go on the wire.
        SdkRequest request = context.request();
        if (!(request instanceof DynamoDbRequest)) {
            return;
        }
        List<Violation> found = check(request);
        if (found.isEmpty()) {
            return;
        }
        VIOLATIONS.addAll(found);
        String message = "[testkit] DynamoDB would refuse this request: "
                + String.join("; ", found.stream().map(Violation::message).toList())
                + " (see dev.orchestrator.testkit.DynamoDbLimits)";
        System.err.println(message);
        throw DynamoDbException.builder()
                .message(message)
                .statusCode(400)
                .awsErrorDetails(AwsErrorDetails.builder()
                        .errorCode(ERROR_CODE)
                        .errorMessage(message)
                        .serviceName("DynamoDb")
                        .build())
                .build();
    }

    /** Every refusal since the JVM started or since {@link #reset()}, in order. */
    public static List<Violation> violations() {
        return List.copyOf(VIOLATIONS);
    }

    /**
     * The largest value measured per limit (e.g. {@code "UpdateExpression bytes"}, {@code "item bytes"},
     * {@code "BatchWriteItem requests"}) over every DynamoDB request checked since start or {@link #reset()}.
     */
    public static Map<String, Long> peaks() {
        Map<String, Long> out = new TreeMap<>();
        PEAKS.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Forgets violations and peaks (e.g. before a test that asserts on them). */
    public static void reset() {
        VIOLATIONS.clear();
        PEAKS.clear();
    }

    /**
     * The limits {@code request} exceeds (empty if none); records its measurements in {@link #peaks()}
     * but not in {@link #violations()}. Any other request than DynamoDB's yields nothing.
     */
    public static List<Violation> check(SdkRequest request) {
        Check c = new Check(operation(request));
        if (request instanceof PutItemRequest r) {
            c.table = r.tableName();
            c.expression("ConditionExpression", r.conditionExpression());
            c.substitutions(r.expressionAttributeNames(), r.expressionAttributeValues());
            c.max("item bytes", itemSize(r.item()), MAX_ITEM_BYTES);
        } else if (request instanceof UpdateItemRequest r) {
            c.table = r.tableName();
            c.update(r.key(), r.updateExpression(), r.conditionExpression(),
                    r.expressionAttributeNames(), r.expressionAttributeValues());
        } else if (request instanceof DeleteItemRequest r) {
            c.table = r.tableName();
            c.expression("ConditionExpression", r.conditionExpression());
            c.substitutions(r.expressionAttributeNames(), r.expressionAttributeValues());
        } else if (request instanceof GetItemRequest r) {
            c.table = r.tableName();
            c.expression("ProjectionExpression", r.projectionExpression());
            c.substitutions(r.expressionAttributeNames(), Map.of());
        } else if (request instanceof QueryRequest r) {
            c.table = r.tableName();
            c.expression("KeyConditionExpression", r.keyConditionExpression());
            c.expression("FilterExpression", r.filterExpression());
            c.expression("ProjectionExpression", r.projectionExpression());
            c.substitutions(r.expressionAttributeNames(), r.expressionAttributeValues());
        } else if (request instanceof ScanRequest r) {
            c.table = r.tableName();
            c.expression("FilterExpression", r.filterExpression());
            c.expression("ProjectionExpression", r.projectionExpression());
            c.substitutions(r.expressionAttributeNames(), r.expressionAttributeValues());
        } else if (request instanceof TransactWriteItemsRequest r) {
            transactWrite(c, r);
        } else if (request instanceof TransactGetItemsRequest r) {
            c.table = tables(r.transactItems().stream().map(TransactGetItem::get)
                    .map(g -> g == null ? null : g.tableName()).toList());
            c.max("TransactGetItems items", r.transactItems().size(), MAX_TRANSACTION_ACTIONS);
            for (TransactGetItem item : r.transactItems()) {
                Get g = item.get();
                if (g != null) {
                    c.expression("ProjectionExpression", g.projectionExpression());
                    c.substitutions(g.expressionAttributeNames(), Map.of());
                }
            }
        } else if (request instanceof BatchWriteItemRequest r) {
            c.table = tables(r.requestItems().keySet());
            long count = 0;
            long bytes = 0;
            for (List<WriteRequest> writes : r.requestItems().values()) {
                for (WriteRequest w : writes) {
                    count++;
                    if (w.putRequest() != null) {
                        long size = itemSize(w.putRequest().item());
                        c.max("item bytes", size, MAX_ITEM_BYTES);
                        bytes += size;
                    }
                    if (w.deleteRequest() != null) {
                        bytes += itemSize(w.deleteRequest().key());
                    }
                }
            }
            c.max("BatchWriteItem requests", count, MAX_BATCH_WRITE_REQUESTS);
            c.max("BatchWriteItem bytes", bytes, MAX_BATCH_WRITE_BYTES);
        } else if (request instanceof BatchGetItemRequest r) {
            c.table = tables(r.requestItems().keySet());
            long keys = 0;
            for (KeysAndAttributes ka : r.requestItems().values()) {
                keys += ka.keys().size();
                c.expression("ProjectionExpression", ka.projectionExpression());
                c.substitutions(ka.expressionAttributeNames(), Map.of());
            }
            c.max("BatchGetItem keys", keys, MAX_BATCH_GET_KEYS);
        }
        return c.found;
    }

    private static void transactWrite(Check c, TransactWriteItemsRequest r) {
        List<String> tables = new ArrayList<>();
        for (TransactWriteItem item : r.transactItems()) {
            tables.add(item.put() != null ? item.put().tableName()
                    : item.update() != null ? item.update().tableName()
                    : item.delete() != null ? item.delete().tableName()
                    : item.conditionCheck() != null ? item.conditionCheck().tableName() : null);
        }
        c.table = tables(tables);
        long bytes = 0;
        for (TransactWriteItem item : r.transactItems()) {
            if (item.put() != null) {
                Put p = item.put();
                c.expression("ConditionExpression", p.conditionExpression());
                c.substitutions(p.expressionAttributeNames(), p.expressionAttributeValues());
                long size = itemSize(p.item());
                c.max("item bytes", size, MAX_ITEM_BYTES);
                bytes += size;
            } else if (item.update() != null) {
                Update u = item.update();
                bytes += c.update(u.key(), u.updateExpression(), u.conditionExpression(),
                        u.expressionAttributeNames(), u.expressionAttributeValues());
            } else if (item.delete() != null) {
                Delete d = item.delete();
                c.expression("ConditionExpression", d.conditionExpression());
                c.substitutions(d.expressionAttributeNames(), d.expressionAttributeValues());
                bytes += itemSize(d.key());
            } else if (item.conditionCheck() != null) {
                ConditionCheck k = item.conditionCheck();
                c.expression("ConditionExpression", k.conditionExpression());
                c.substitutions(k.expressionAttributeNames(), k.expressionAttributeValues());
                bytes += itemSize(k.key());
            }
        }
        c.max("TransactWriteItems actions", r.transactItems().size(), MAX_TRANSACTION_ACTIONS);
        c.max("TransactWriteItems bytes", bytes, MAX_TRANSACTION_BYTES);
    }

    /** Measurements of one request. */
    private static final class Check {
        final String operation;
        String table = "-";
        final List<Violation> found = new ArrayList<>();

        Check(String operation) {
            this.operation = operation;
        }

        void max(String limit, long measured, long allowed) {
            PEAKS.computeIfAbsent(limit, k -> new LongAccumulator(Math::max, Long.MIN_VALUE)).accumulate(measured);
            if (measured > allowed) {
                found.add(new Violation(operation, table, limit, measured, allowed));
            }
        }

        void expression(String name, String expression) {
            if (expression == null) {
                return;
            }
            max(name + " bytes", utf8(expression), MAX_EXPRESSION_BYTES);
            Matcher in = IN_LIST.matcher(expression);
            while (in.find()) {
                max("IN operands", in.group(1).split(",", -1).length, MAX_IN_OPERANDS);
            }
        }

        void substitutions(Map<String, String> names, Map<String, AttributeValue> values) {
            long total = 0;
            for (Map.Entry<String, String> e : names.entrySet()) {
                max("expression attribute name placeholder bytes", utf8(e.getKey()), MAX_PLACEHOLDER_BYTES);
                total += utf8(e.getKey()) + utf8(e.getValue());
            }
            for (Map.Entry<String, AttributeValue> e : values.entrySet()) {
                max("expression attribute value placeholder bytes", utf8(e.getKey()), MAX_PLACEHOLDER_BYTES);
                total += utf8(e.getKey()) + valueSize(e.getValue());
            }
            max("substitution bytes (ExpressionAttributeNames + ExpressionAttributeValues)", total,
                    MAX_SUBSTITUTION_BYTES);
        }

        /** Checks an update; returns the bytes it writes at least (key + values it can write). */
        long update(Map<String, AttributeValue> key, String updateExpression, String conditionExpression,
                    Map<String, String> names, Map<String, AttributeValue> values) {
            expression("UpdateExpression", updateExpression);
            expression("ConditionExpression", conditionExpression);
            substitutions(names, values);
            long written = itemSize(key);
            if (updateExpression != null) {
                max("UpdateExpression operators", operators(updateExpression), MAX_UPDATE_OPERATORS);
                for (String placeholder : writtenValues(updateExpression)) {
                    AttributeValue v = values.get(placeholder);
                    if (v != null) {
                        written += valueSize(v);
                    }
                }
            }
            max("item bytes", written, MAX_ITEM_BYTES);
            return written;
        }
    }

    private static final Pattern IN_LIST = Pattern.compile("(?i)\\bIN\\s*\\(([^()]*)\\)");
    private static final Pattern CLAUSE = Pattern.compile("(?i)\\b(SET|REMOVE|ADD|DELETE)\\b");
    private static final Pattern VALUE = Pattern.compile(":[A-Za-z0-9_]+");
    private static final Pattern FUNCTION = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\s*\\(");

    /** Value placeholders an UpdateExpression can write: those of its SET and ADD clauses, once each. */
    static Set<String> writtenValues(String updateExpression) {
        Set<String> out = new LinkedHashSet<>();
        Matcher clause = CLAUSE.matcher(updateExpression);
        int start = -1;
        String keyword = null;
        while (true) {
            boolean more = clause.find();
            if (keyword != null && (keyword.equals("SET") || keyword.equals("ADD"))) {
                Matcher v = VALUE.matcher(updateExpression.substring(start, more ? clause.start() : updateExpression.length()));
                while (v.find()) {
                    out.add(v.group());
                }
            }
            if (!more) {
                return out;
            }
            keyword = clause.group(1).toUpperCase(Locale.ROOT);
            start = clause.end();
        }
    }

    /** Operators and functions of an UpdateExpression as DynamoDB counts them ({@code =} of SET is not one). */
    static long operators(String updateExpression) {
        long n = updateExpression.chars().filter(ch -> ch == '+' || ch == '-').count();
        Matcher f = FUNCTION.matcher(updateExpression);
        while (f.find()) {
            n++;
        }
        return n;
    }

    /** DynamoDB's size of an item (or key): the sum of its attribute names' UTF-8 bytes and values' sizes. */
    public static long itemSize(Map<String, AttributeValue> item) {
        long size = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            size += utf8(e.getKey()) + valueSize(e.getValue());
        }
        return size;
    }

    /** DynamoDB's size of one attribute value, without its name. */
    public static long valueSize(AttributeValue v) {
        if (v == null) {
            return 0;
        }
        switch (v.type()) {
            case S: return utf8(v.s());
            case N: return numberSize(v.n());
            case B: return bytes(v.b());
            case BOOL:
            case NUL: return 1;
            case SS: return v.ss().stream().mapToLong(DynamoDbLimits::utf8).sum();
            case NS: return v.ns().stream().mapToLong(DynamoDbLimits::numberSize).sum();
            case BS: return v.bs().stream().mapToLong(DynamoDbLimits::bytes).sum();
            case L: {
                long size = 3;
                for (AttributeValue e : v.l()) {
                    size += 1 + valueSize(e);
                }
                return size;
            }
            case M: {
                long size = 3;
                for (Map.Entry<String, AttributeValue> e : v.m().entrySet()) {
                    size += 1 + utf8(e.getKey()) + valueSize(e.getValue());
                }
                return size;
            }
            default: return 0;
        }
    }

    /** 1 byte per two significant digits (leading and trailing zeros trimmed) + 1. */
    static long numberSize(String n) {
        if (n == null) {
            return 0;
        }
        String digits = n.trim();
        int e = Math.max(digits.indexOf('e'), digits.indexOf('E'));
        if (e >= 0) {
            digits = digits.substring(0, e);
        }
        digits = digits.replace("-", "").replace("+", "").replace(".", "");
        int from = 0;
        int to = digits.length();
        while (from < to && digits.charAt(from) == '0') {
            from++;
        }
        while (to > from && digits.charAt(to - 1) == '0') {
            to--;
        }
        return (to - from + 1) / 2 + 1;
    }

    private static long bytes(SdkBytes b) {
        return b == null ? 0 : b.asByteArrayUnsafe().length;
    }

    private static long utf8(String s) {
        return s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String operation(SdkRequest request) {
        String name = request.getClass().getSimpleName();
        return name.endsWith("Request") ? name.substring(0, name.length() - "Request".length()) : name;
    }

    private static String tables(Collection<String> names) {
        Set<String> distinct = new LinkedHashSet<>();
        for (String n : names) {
            if (n != null) {
                distinct.add(n);
            }
        }
        return distinct.isEmpty() ? "-" : String.join(",", distinct);
    }
}
