package dev.orchestrator.core;

import dev.orchestrator.plugin.PluginInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;

/** The plugin table: who is registered on which activity stage. */
public final class PluginRegistry {

    public static final String ORCHESTRATOR_ID = "orchestratorId";
    public static final String SUBSCRIPTION_ARN = "subscriptionArn";
    public static final String FUNCTION_NAME = "functionName";
    public static final String FUNCTION_INDEX = "FunctionIndex";
    /** Set when the registrar read the subscription's delivery settings (then {@code filterPolicy}, {@code filterPolicyScope} say them). */
    public static final String SUBSCRIPTION_READ = "subscriptionRead";
    /** The IAM role ARNs the plugin runs as, as the registrar checked them (docs/security.md). */
    public static final String PRINCIPALS = "principals";
    /** Why the registrar does not trust the registration; absent when trusted. The engine skips such rows. */
    public static final String REFUSED = "refused";

    private final DynamoDbClient dynamo;
    private final String table;

    /** The plugin table's name. */
    public String table() {
        return table;
    }

    public PluginRegistry(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    public void register(PluginRegistration r) {
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        item.put(ORCHESTRATOR_ID, AttributeValue.fromS(r.orchestratorId()));
        item.put(SUBSCRIPTION_ARN, AttributeValue.fromS(r.subscriptionArn()));
        item.put(FUNCTION_NAME, AttributeValue.fromS(r.functionName()));
        item.put("activity", AttributeValue.fromS(r.activity()));
        item.put("stage", AttributeValue.fromS(r.stage().wireName()));
        item.put("pluginName", AttributeValue.fromS(r.pluginName()));
        item.put("mandatory", AttributeValue.fromBool(r.mandatory()));
        item.put("order", AttributeValue.fromN(Integer.toString(r.order())));
        item.put("alwaysRun", AttributeValue.fromBool(r.alwaysRun()));
        item.put("idempotent", AttributeValue.fromBool(r.idempotent()));
        if (r.description() != null) {
            item.put("description", AttributeValue.fromS(r.description()));
        }
        if (r.fifoKey() != null) {
            item.put("fifoKey", AttributeValue.fromS(r.fifoKey()));
        }
        if (r.timeout() != null) {
            item.put("timeout", AttributeValue.fromN(r.timeout().toString()));
        }
        if (r.pluginRegisterTimeout() != null) {
            item.put("pluginRegisterTimeout", AttributeValue.fromN(r.pluginRegisterTimeout().toString()));
        }
        if (r.subscription() != null) {
            item.put(SUBSCRIPTION_READ, AttributeValue.fromBool(true));
            if (r.subscription().filterPolicy() != null) {
                item.put("filterPolicy", AttributeValue.fromS(r.subscription().filterPolicy()));
            }
            if (r.subscription().scope() != null) {
                item.put("filterPolicyScope", AttributeValue.fromS(r.subscription().scope()));
            }
        }
        if (r.identity() != null) {
            item.put(PRINCIPALS, AttributeValue.fromL(r.identity().principals().stream().map(AttributeValue::fromS).toList()));
            if (r.identity().refused() != null) {
                item.put(REFUSED, AttributeValue.fromS(r.identity().refused()));
            }
        }
        dynamo.putItem(PutItemRequest.builder().tableName(table).item(item).build());
    }

    public void remove(String activity, Stage stage, String subscriptionArn) {
        dynamo.deleteItem(DeleteItemRequest.builder().tableName(table).key(Map.of(
                ORCHESTRATOR_ID, AttributeValue.fromS(PluginRegistration.orchestratorId(activity, stage)),
                SUBSCRIPTION_ARN, AttributeValue.fromS(subscriptionArn))).build());
    }

    /**
     * The trusted plugins of one stage, in dispatch order (order, then name: deterministic): what the engine
     * lists. A registration the registrar refused (its role's tag is not its name) is left out.
     */
    public List<PluginRegistration> plugins(String activity, Stage stage) {
        List<PluginRegistration> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            QueryResponse page = dynamo.query(QueryRequest.builder()
                    .tableName(table)
                    .keyConditionExpression("#id = :id")
                    .expressionAttributeNames(Map.of("#id", ORCHESTRATOR_ID))
                    .expressionAttributeValues(Map.of(":id",
                            AttributeValue.fromS(PluginRegistration.orchestratorId(activity, stage))))
                    .exclusiveStartKey(start)
                    .consistentRead(true)
                    .build());
            page.items().stream().map(PluginRegistry::fromItem).filter(PluginRegistration::trusted).forEach(out::add);
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        out.sort(Comparator.comparingInt(PluginRegistration::order).thenComparing(PluginRegistration::pluginName));
        return out;
    }

    /**
     * Every registration of the stack, refused ones included, each stage's in dispatch order: one paginated consistent scan
     * (the table holds one item per plugin subscription), instead of a query per stage.
     */
    public List<PluginRegistration> all() {
        List<PluginRegistration> out = new ArrayList<>();
        dynamo.scanPaginator(ScanRequest.builder().tableName(table).consistentRead(true).build())
                .items().forEach(i -> out.add(fromItem(i)));
        out.sort(Comparator.comparing((PluginRegistration r) -> r.orchestratorId()).thenComparingInt(PluginRegistration::order)
                .thenComparing(PluginRegistration::pluginName));
        return out;
    }

    /** Registrations of one function (FunctionIndex), for refreshing after a code update. */
    public List<PluginRegistration> byFunction(String functionName) {
        List<PluginRegistration> out = new ArrayList<>();
        dynamo.queryPaginator(QueryRequest.builder().tableName(table).indexName(FUNCTION_INDEX)
                .keyConditionExpression("#f = :f").expressionAttributeNames(Map.of("#f", FUNCTION_NAME))
                .expressionAttributeValues(Map.of(":f", AttributeValue.fromS(functionName))).build())
                .items().forEach(i -> out.add(fromItem(i)));
        return out;
    }

    static PluginRegistration fromItem(Map<String, AttributeValue> i) {
        String[] id = i.get(ORCHESTRATOR_ID).s().split("\\|", 2);
        return new PluginRegistration(id[0], Stage.fromWire(id[1]),
                i.get(SUBSCRIPTION_ARN).s(), s(i, FUNCTION_NAME), s(i, "pluginName"),
                bool(i, "mandatory"), i.containsKey("order") ? Integer.parseInt(i.get("order").n()) : PluginInfo.DEFAULT_ORDER,
                bool(i, "alwaysRun"), !i.containsKey("idempotent") || bool(i, "idempotent"),
                s(i, "description"), s(i, "fifoKey"),
                i.containsKey("pluginRegisterTimeout") ? Integer.valueOf(i.get("pluginRegisterTimeout").n()) : null,
                i.containsKey("timeout") ? Integer.valueOf(i.get("timeout").n()) : null,
                bool(i, SUBSCRIPTION_READ) ? new PluginRegistration.Subscription(s(i, "filterPolicy"), s(i, "filterPolicyScope")) : null,
                i.containsKey(PRINCIPALS) ? new PluginRegistration.Identity(i.get(PRINCIPALS).l().stream().map(AttributeValue::s).toList(),
                        s(i, REFUSED)) : null);
    }

    private static String s(Map<String, AttributeValue> i, String k) {
        return i.containsKey(k) ? i.get(k).s() : null;
    }

    private static boolean bool(Map<String, AttributeValue> i, String k) {
        return i.containsKey(k) && Boolean.TRUE.equals(i.get(k).bool());
    }
}
