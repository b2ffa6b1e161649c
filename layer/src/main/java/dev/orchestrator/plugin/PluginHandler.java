package dev.orchestrator.plugin;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Base class of an SNS-subscribed plugin Lambda. It answers {@code {"action":"initialize"}} with
 * {@link #info()}, ignores stage messages addressed to another plugin, skips work already
 * {@code Complete} or {@code Do Not Run} (unless {@code alwaysRun}), and reports
 * {@code In Progress} / {@code Complete} / {@code Error} itself.
 */
public abstract class PluginHandler implements RequestStreamHandler {

    private final StatusReporter reporter;

    protected PluginHandler() {
        this(System.getenv());
    }

    protected PluginHandler(Map<String, String> environment) {
        this(environment, new AwsClients(new Env(environment)).dynamo());
    }

    /** With a DynamoDB client of the caller's (e.g. one carrying an SDK interceptor). */
    protected PluginHandler(Map<String, String> environment, DynamoDbClient dynamo) {
        this.reporter = new StatusReporter(new StatusStore(dynamo, new Env(environment).require(EnvNames.STATUS_TABLE)));
    }

    /** The plugin's declaration: name, mandatory flag, order, ... */
    public abstract PluginInfo info();

    /** The plugin's work. Throwing marks the plugin {@code Error} with the exception's message. */
    protected abstract void run(PluginContext context) throws Exception;

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.parse(input);
        if (isInitialize(event)) {
            output.write(Json.write(info().toJson()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        JsonNode records = event.path("Records");
        if (!records.isArray() || records.isEmpty()) {
            throw new IllegalArgumentException("expected an SNS event with Records or {\"action\":\"initialize\"}, got: "
                    + abbreviate(Json.write(event)));
        }
        for (JsonNode record : records) {
            String body = record.path("Sns").path("Message").asText(null);
            if (body == null) {
                throw new IllegalArgumentException("SNS record without Sns.Message");
            }
            handle(StageMessage.fromJson(Json.parse(body)));
        }
        output.write("null".getBytes(StandardCharsets.UTF_8));
    }

    /** What happened to one stage message; returned for logging and tests. */
    public enum Outcome { NOT_MINE, ALREADY_DONE, NOT_CLAIMED, CLAIMED, COMPLETED, FAILED }

    /**
     * The start every plugin shares (SNS handler and queue bridge alike): ignore a message for another
     * plugin, skip work the message shows done (unless alwaysRun), else claim it In Progress.
     */
    static Outcome claim(StatusReporter reporter, PluginInfo info, StageMessage message) {
        if (message.plugin() != null && !message.plugin().equals(info.pluginName())) {
            return Outcome.NOT_MINE;
        }
        PluginStatus known = message.statusOf(info.pluginName());
        if (!info.alwaysRun() && known != null
                && (known.state() == State.COMPLETE || known.state() == State.DO_NOT_RUN)) {
            return Outcome.ALREADY_DONE;
        }
        int order = known != null ? known.order() : info.order() == null ? PluginInfo.DEFAULT_ORDER : info.order();
        return reporter.claim(message, info.pluginName(), info.isMandatory(message.activity()), info.alwaysRun(), order,
                System.currentTimeMillis()) ? Outcome.CLAIMED : Outcome.NOT_CLAIMED;
    }

    public Outcome handle(StageMessage message) {
        PluginInfo info = info();
        Outcome claim = claim(reporter, info, message);
        if (claim != Outcome.CLAIMED) {
            return claim;
        }
        boolean mandatory = info.isMandatory(message.activity());
        try {
            run(PluginContext.of(message));
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            reporter.report(message, info.pluginName(), mandatory, State.ERROR, why, System.currentTimeMillis());
            return Outcome.FAILED;
        }
        reporter.report(message, info.pluginName(), mandatory, State.COMPLETE, null, System.currentTimeMillis());
        return Outcome.COMPLETED;
    }

    static boolean isInitialize(JsonNode event) {
        return "initialize".equals(event.path("action").asText(null)) || event.path("initialize").asBoolean(false);
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
