package dev.orchestrator.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/** The limit checks, on requests built as production code builds them; no emulator needed. */
class DynamoDbLimitsTest {

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static final Map<String, AttributeValue> KEY = Map.of("uid", s("u1"), "workflow", s("w"));

    /** An UpdateExpression of exactly {@code bytes} bytes: SET actions padded with spaces. */
    private static String updateExpression(int bytes) {
        StringBuilder e = new StringBuilder("SET #a = :v");
        while (e.length() < bytes) {
            e.append(' ');
        }
        return e.toString();
    }

    private static UpdateItemRequest update(String expression) {
        return UpdateItemRequest.builder().tableName("status").key(KEY)
                .updateExpression(expression)
                .expressionAttributeNames(Map.of("#a", "a"))
                .expressionAttributeValues(Map.of(":v", s("x")))
                .build();
    }

    /** A put of an item whose DynamoDB size is exactly {@code bytes}: key + one string attribute. */
    private static PutItemRequest putOfSize(String table, long bytes) {
        long fixed = DynamoDbLimits.itemSize(KEY) + "pad".length();
        Map<String, AttributeValue> item = new LinkedHashMap<>(KEY);
        item.put("pad", s("x".repeat((int) (bytes - fixed))));
        assertThat(DynamoDbLimits.itemSize(item)).isEqualTo(bytes);
        return PutItemRequest.builder().tableName(table).item(item).build();
    }

    private static BatchWriteItemRequest batchWrite(int puts) {
        List<WriteRequest> writes = new ArrayList<>();
        for (int i = 0; i < puts; i++) {
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder()
                    .item(Map.of("uid", s("u" + i), "workflow", s("w"))).build()).build());
        }
        return BatchWriteItemRequest.builder().requestItems(Map.of("history", writes)).build();
    }

    @BeforeEach
    void reset() {
        DynamoDbLimits.reset();
    }

    @Test
    void anUpdateExpressionOf4097BytesIsRefusedNamingTheLimitAnd4096Passes() {
        assertThat(DynamoDbLimits.check(update(updateExpression(4096)))).isEmpty();

        List<DynamoDbLimits.Violation> refused = DynamoDbLimits.check(update(updateExpression(4097)));

        assertThat(refused).hasSize(1);
        assertThat(refused.get(0).message())
                .isEqualTo("UpdateItem on table 'status': UpdateExpression bytes is 4,097, over DynamoDB's limit of 4,096");
        assertThat(DynamoDbLimits.peaks()).containsEntry("UpdateExpression bytes", 4097L);
    }

    @Test
    void everyExpressionKindIsMeasuredAndMultiByteCharactersCountAsTheirUtf8Bytes() {
        // 2,049 two-byte characters: 2,049 characters, 4,098 bytes.
        QueryRequest query = QueryRequest.builder().tableName("runs")
                .keyConditionExpression("#s = :s")
                .filterExpression("#n = :n OR #n = :" + "é".repeat(2049))
                .build();

        assertThat(DynamoDbLimits.check(query)).singleElement()
                .satisfies(v -> {
                    assertThat(v.limit()).isEqualTo("FilterExpression bytes");
                    assertThat(v.measured()).isEqualTo(4098 + "#n = :n OR #n = :".length());
                    assertThat(v.operation()).isEqualTo("Query");
                    assertThat(v.table()).isEqualTo("runs");
                });
    }

    @Test
    void anItemOf400KbPlusOneIsRefusedAnd400KbPasses() {
        assertThat(DynamoDbLimits.check(putOfSize("status", 400 * 1024))).isEmpty();

        assertThat(DynamoDbLimits.check(putOfSize("status", 400 * 1024 + 1))).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo(
                        "PutItem on table 'status': item bytes is 409,601, over DynamoDB's limit of 409,600"));
    }

    @Test
    void itemSizesFollowTheDocumentedRules() {
        assertThat(DynamoDbLimits.valueSize(s("héllo"))).isEqualTo(6);
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromN("0"))).isEqualTo(1);
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromN("12345"))).isEqualTo(4);      // 5 digits: 3 + 1
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromN("-001200.500"))).isEqualTo(4); // 12005
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromB(SdkBytes.fromByteArray(new byte[10])))).isEqualTo(10);
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromBool(true))).isEqualTo(1);
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromNul(true))).isEqualTo(1);
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromL(List.of()))).isEqualTo(3);
        // list: 3 + (1 + 2) + (1 + 1)
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromL(List.of(s("ab"), AttributeValue.fromBool(false)))))
                .isEqualTo(8);
        // map: 3 + (1 + "k" + "abc")
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromM(Map.of("k", s("abc"))))).isEqualTo(8);
        assertThat(DynamoDbLimits.valueSize(AttributeValue.fromSs(List.of("a", "bc")))).isEqualTo(3);
        assertThat(DynamoDbLimits.itemSize(Map.of("name", s("value")))).isEqualTo(9);
    }

    @Test
    void anUpdateIsSizedByItsKeyAndTheValuesItCanWrite() {
        String big = "x".repeat(250 * 1024);
        UpdateItemRequest twoBigSets = UpdateItemRequest.builder().tableName("status").key(KEY)
                .updateExpression("SET #a = :a, #b = :b")
                .expressionAttributeNames(Map.of("#a", "a", "#b", "b"))
                .expressionAttributeValues(Map.of(":a", s(big), ":b", s(big)))
                .build();
        // The same values, one only compared in the condition and one removed from a set: nothing
        // says the item grows past 400 KB, so the kit lets AWS decide.
        UpdateItemRequest oneWritten = UpdateItemRequest.builder().tableName("status").key(KEY)
                .updateExpression("SET #a = :a REMOVE #c DELETE #d :b")
                .conditionExpression("#b <> :b")
                .expressionAttributeNames(Map.of("#a", "a", "#b", "b", "#c", "c", "#d", "d"))
                .expressionAttributeValues(Map.of(":a", s(big), ":b", AttributeValue.fromSs(List.of(big))))
                .build();

        assertThat(DynamoDbLimits.check(twoBigSets)).singleElement()
                .satisfies(v -> assertThat(v.limit()).isEqualTo("item bytes"));
        assertThat(DynamoDbLimits.check(oneWritten)).isEmpty();
    }

    @Test
    void aBatchOf26WritesIsRefusedAnd25Pass() {
        assertThat(DynamoDbLimits.check(batchWrite(25))).isEmpty();

        assertThat(DynamoDbLimits.check(batchWrite(26))).singleElement()
                .satisfies(v -> assertThat(v.message()).isEqualTo(
                        "BatchWriteItem on table 'history': BatchWriteItem requests is 26, over DynamoDB's limit of 25"));
    }

    @Test
    void aBatchGetOf101KeysIsRefusedAnd100Pass() {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            keys.add(Map.of("uid", s("u" + i), "workflow", s("w")));
        }
        BatchGetItemRequest hundred = BatchGetItemRequest.builder().requestItems(Map.of(
                "status", KeysAndAttributes.builder().keys(keys.subList(0, 100)).build())).build();
        BatchGetItemRequest over = BatchGetItemRequest.builder().requestItems(Map.of(
                "status", KeysAndAttributes.builder().keys(keys.subList(0, 60)).build(),
                "other", KeysAndAttributes.builder().keys(keys.subList(60, 101)).build())).build();

        assertThat(DynamoDbLimits.check(hundred)).isEmpty();
        assertThat(DynamoDbLimits.check(over)).singleElement().satisfies(v -> {
            assertThat(v.limit()).isEqualTo("BatchGetItem keys");
            assertThat(v.measured()).isEqualTo(101);
            assertThat(v.table()).contains("status").contains("other");
        });
    }

    @Test
    void aTransactionOf101ItemsIsRefusedAnd100Pass() {
        List<TransactWriteItem> writes = new ArrayList<>();
        List<TransactGetItem> gets = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            Map<String, AttributeValue> key = Map.of("uid", s("u" + i), "workflow", s("w"));
            writes.add(TransactWriteItem.builder().update(u -> u.tableName("status").key(key)
                    .updateExpression("ADD #n :one")
                    .expressionAttributeNames(Map.of("#n", "n"))
                    .expressionAttributeValues(Map.of(":one", AttributeValue.fromN("1")))).build());
            gets.add(TransactGetItem.builder().get(g -> g.tableName("status").key(key)).build());
        }

        assertThat(DynamoDbLimits.check(TransactWriteItemsRequest.builder().transactItems(writes.subList(0, 100)).build()))
                .isEmpty();
        assertThat(DynamoDbLimits.check(TransactWriteItemsRequest.builder().transactItems(writes).build()))
                .singleElement().satisfies(v -> assertThat(v.message()).isEqualTo(
                        "TransactWriteItems on table 'status': TransactWriteItems actions is 101, over DynamoDB's limit of 100"));
        assertThat(DynamoDbLimits.check(TransactGetItemsRequest.builder().transactItems(gets).build()))
                .singleElement().satisfies(v -> assertThat(v.limit()).isEqualTo("TransactGetItems items"));
    }

    @Test
    void aTransactionOver4MbIsRefused() {
        List<TransactWriteItem> puts = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            Map<String, AttributeValue> item = new LinkedHashMap<>(Map.of("uid", s("u" + i), "workflow", s("w")));
            item.put("pad", s("x".repeat(390 * 1024)));
            puts.add(TransactWriteItem.builder().put(p -> p.tableName("status").item(item)).build());
        }

        assertThat(DynamoDbLimits.check(TransactWriteItemsRequest.builder().transactItems(puts).build()))
                .singleElement().satisfies(v -> assertThat(v.limit()).isEqualTo("TransactWriteItems bytes"));
    }

    @Test
    void placeholdersSubstitutionsInListsAndUpdateOperatorsAreBounded() {
        String longName = "#" + "n".repeat(255);
        UpdateItemRequest longPlaceholder = UpdateItemRequest.builder().tableName("status").key(KEY)
                .updateExpression("SET " + longName + " = :v")
                .expressionAttributeNames(Map.of(longName, "a"))
                .expressionAttributeValues(Map.of(":v", s("x")))
                .build();
        StringBuilder in = new StringBuilder("#s IN (");
        Map<String, AttributeValue> values = new LinkedHashMap<>();
        for (int i = 0; i < 101; i++) {
            in.append(i == 0 ? "" : ", ").append(":v").append(i);
            values.put(":v" + i, s("x"));
        }
        QueryRequest in101 = QueryRequest.builder().tableName("runs").keyConditionExpression("#k = :k")
                .filterExpression(in.append(')').toString())
                .expressionAttributeValues(values).build();
        StringBuilder plus = new StringBuilder("SET #a = :v");
        for (int i = 0; i < 301; i++) {
            plus.append(" + :v");
        }

        assertThat(DynamoDbLimits.check(longPlaceholder)).singleElement()
                .satisfies(v -> assertThat(v.limit()).isEqualTo("expression attribute name placeholder bytes"));
        assertThat(DynamoDbLimits.check(in101)).singleElement()
                .satisfies(v -> assertThat(v.limit()).isEqualTo("IN operands"));
        assertThat(DynamoDbLimits.check(update(plus.toString()))).singleElement()
                .satisfies(v -> assertThat(v.limit()).isEqualTo("UpdateExpression operators"));
    }

    @Test
    void aClientCarryingTheInterceptorFailsAsAwsWouldAndSendsNothing() {
        // Port 9 on loopback (discard): if the request were sent, the failure would be a connection error.
        try (DynamoDbClient client = DynamoDbClient.builder()
                .region(Region.US_EAST_1)
                .endpointOverride(URI.create("http://127.0.0.1:9"))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing")))
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .overrideConfiguration(o -> o.addExecutionInterceptor(new DynamoDbLimits()))
                .build()) {

            assertThatThrownBy(() -> client.updateItem(update(updateExpression(4097))))
                    .isInstanceOfSatisfying(DynamoDbException.class, e -> {
                        assertThat(e.statusCode()).isEqualTo(400);
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                        assertThat(e.getMessage()).startsWith("[testkit] DynamoDB would refuse this request: "
                                + "UpdateItem on table 'status': UpdateExpression bytes is 4,097, over DynamoDB's limit of 4,096");
                    });
            assertThatThrownBy(() -> client.batchWriteItem(batchWrite(26)))
                    .isInstanceOf(DynamoDbException.class)
                    .hasMessageContaining("BatchWriteItem requests is 26");
        }
        assertThat(DynamoDbLimits.violations()).extracting(DynamoDbLimits.Violation::limit)
                .containsExactly("UpdateExpression bytes", "BatchWriteItem requests");
    }
}
