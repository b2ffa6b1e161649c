package dev.orchestrator.bench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The cold-start baseline: the least a function of ours does. One DynamoDB client built as ours are
 * (AwsClients), one GetItem of a key named in the event, no JSON library.
 */
public final class HelloDynamo implements RequestStreamHandler {

    private final DynamoDbClient dynamo;
    private final String table;

    public HelloDynamo() {
        Env env = Env.system();
        this.dynamo = new AwsClients(env).dynamo();
        this.table = env.require("STATUS_TABLE");
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        String uid = new String(input.readAllBytes(), StandardCharsets.UTF_8).trim();
        var item = dynamo.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("uid", AttributeValue.fromS(uid), "workflow", AttributeValue.fromS("hello"))));
        output.write(("{\"found\":" + item.hasItem() + "}").getBytes(StandardCharsets.UTF_8));
    }
}
