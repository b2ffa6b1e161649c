package dev.orchestrator.testkit.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.testkit.DynamoDbLimits;
import dev.orchestrator.testkit.Emulator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * With this module on the test classpath, a client the production code builds for itself
 * ({@link AwsClients}, as every handler does) is refused what DynamoDB would refuse, against the
 * real emulator, and requests within the limits go through.
 */
class GlobalLimitsTest {

    @RegisterExtension
    static Emulator emulator = new Emulator();

    private static final String TABLE = "limits-status";
    private static final Map<String, AttributeValue> KEY = Map.of("uid", AttributeValue.fromS("run-1"));

    @BeforeAll
    static void table() {
        try (DynamoDbClient admin = emulator.client(DynamoDbClient.builder())) {
            admin.createTable(t -> t.tableName(TABLE)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(AttributeDefinition.builder().attributeName("uid")
                            .attributeType(ScalarAttributeType.S).build())
                    .keySchema(KeySchemaElement.builder().attributeName("uid").keyType(KeyType.HASH).build()));
        }
    }

    @BeforeEach
    void forget() {
        DynamoDbLimits.reset();
    }

    private static String updateExpression(int bytes) {
        StringBuilder e = new StringBuilder("SET #s = :s");
        while (e.length() < bytes) {
            e.append(' ');
        }
        return e.toString();
    }

    private static void update(DynamoDbClient dynamo, int expressionBytes, String status) {
        dynamo.updateItem(u -> u.tableName(TABLE).key(KEY)
                .updateExpression(updateExpression(expressionBytes))
                .expressionAttributeNames(Map.of("#s", "status"))
                .expressionAttributeValues(Map.of(":s", AttributeValue.fromS(status))));
    }

    private static String status(DynamoDbClient dynamo) {
        Map<String, AttributeValue> item = dynamo.getItem(g -> g.tableName(TABLE).key(KEY).consistentRead(true)).item();
        return item.containsKey("status") ? item.get("status").s() : null;
    }

    @Test
    void aClientBuiltByAwsClientsIsRefusedAnExpressionOver4KbAndNothingReachesTheTable() {
        Env env = new Env(new HashMap<>(emulator.clientEnvironment()));
        try (DynamoDbClient dynamo = new AwsClients(env).dynamo()) {
            update(dynamo, 4096, "In Progress");

            assertThatThrownBy(() -> update(dynamo, 4097, "Complete"))
                    .isInstanceOfSatisfying(DynamoDbException.class, e -> {
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                        assertThat(e.getMessage()).contains(
                                "UpdateItem on table 'limits-status': UpdateExpression bytes is 4,097, over DynamoDB's limit of 4,096");
                    });

            assertThat(status(dynamo)).isEqualTo("In Progress");
        }
        assertThat(DynamoDbLimits.violations()).singleElement()
                .satisfies(v -> assertThat(v.limit()).isEqualTo("UpdateExpression bytes"));
        assertThat(DynamoDbLimits.peaks()).containsEntry("UpdateExpression bytes", 4097L);
    }

    @Test
    void anyOtherClientOfTheJvmIsRefusedABatchOf26WritesAndTakes25() {
        List<WriteRequest> writes = new ArrayList<>();
        for (int i = 0; i < 26; i++) {
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder()
                    .item(Map.of("uid", AttributeValue.fromS("batch-" + i))).build()).build());
        }
        try (DynamoDbClient dynamo = emulator.client(DynamoDbClient.builder())) {
            assertThatThrownBy(() -> dynamo.batchWriteItem(b -> b.requestItems(Map.of(TABLE, writes))))
                    .isInstanceOf(DynamoDbException.class)
                    .hasMessageContaining("BatchWriteItem requests is 26, over DynamoDB's limit of 25");

            assertThat(dynamo.batchWriteItem(b -> b.requestItems(Map.of(TABLE, writes.subList(0, 25))))
                    .unprocessedItems()).isEmpty();
            assertThat(dynamo.scan(s -> s.tableName(TABLE).filterExpression("begins_with(#u, :p)")
                    .expressionAttributeNames(Map.of("#u", "uid"))
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS("batch-")))).count()).isEqualTo(25);
        }
    }
}
