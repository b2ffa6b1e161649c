package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * The operator's repair of one plugin execution of a running run: fail it ({@code Error}) or skip it
 * ({@code Do Not Run}), written the way the engine writes a plugin's end (docs/protocol.md, "Report"):
 * one conditional UpdateItem on the plugin's execution item ({@code Keys.Execution}: {@code ~<plugin>~<uid>}),
 * only while the stage is open (read just before) and the entry is still {@code In Progress} or {@code Not
 * Started} (or was never claimed), with
 * {@code ADD version 1} and {@code SET updatedAt}, so the engine sees the change on the stream and decides
 * what follows (a failed mandatory plugin fails the run, a skipped one lets the stage go on). The one
 * place that knows where a plugin entry lives: re-point it when the storage changes.
 */
final class PluginRepair {

    enum Action {
        FAIL("Error", "failed by operator: "), SKIP("Do Not Run", "skipped by operator: ");

        final String state;
        final String prefix;

        Action(String state, String prefix) {
            this.state = state;
            this.prefix = prefix;
        }
    }

    /** What the repair did: {@code changed} false means the entry had already moved on (its state is {@code state}). */
    record Result(boolean changed, String group, String state, String message) {
    }

    static final int MESSAGE_LIMIT = 180;

    private final Target target;
    private final ConsoleReads reads;

    PluginRepair(Target target) {
        this.target = target;
        this.reads = new ConsoleReads(target);
    }

    /** "parallel" is what people call the async stage. */
    static String stageKey(String stage) {
        String s = stage == null ? "" : stage.trim().toLowerCase(java.util.Locale.ROOT);
        return switch (s) {
            case "pre", "post", "async" -> s;
            case "parallel" -> "async";
            default -> throw new CliException(Exit.USAGE, "stage '" + stage + "' is not one of pre, parallel (async), post");
        };
    }

    Result apply(Action action, String uid, String workflow, String activity, String stage, String plugin, String reason) {
        if (reason == null || reason.isBlank()) {
            throw new CliException(Exit.USAGE, "a reason is required (it becomes the plugin's message)");
        }
        String stg = stageKey(stage);
        JsonNode run = reads.run(uid, workflow).orElseThrow(() -> new CliException(Exit.NOT_FOUND,
                "no run " + uid + " / " + workflow + " in stack " + target.stack()));
        JsonNode a = run.path("activities").path(activity);
        if (a.isMissingNode()) {
            List<String> names = new ArrayList<>();
            run.path("activities").fieldNames().forEachRemaining(names::add);
            throw new CliException(Exit.NOT_FOUND, "run " + uid + " / " + workflow + " has no activity '" + activity
                    + "'; activities: " + String.join(", ", names));
        }
        String group = null;
        for (String g : new String[] {"mandatory", "optional"}) {
            if (a.path(stg).path(g).has(plugin)) {
                group = g;
            }
        }
        if (group == null) {
            List<String> names = new ArrayList<>();
            for (String g : new String[] {"mandatory", "optional"}) {
                a.path(stg).path(g).fieldNames().forEachRemaining(names::add);
            }
            throw new CliException(Exit.NOT_FOUND, "no plugin '" + plugin + "' in " + activity + " " + stage + " of " + uid + " / "
                    + workflow + "; plugins there: " + (names.isEmpty() ? "none" : String.join(", ", names)));
        }
        String message = action.prefix + reason.trim();
        if (message.length() > MESSAGE_LIMIT) {
            message = message.substring(0, MESSAGE_LIMIT - 1) + "…";
        }
        String stageStatus = a.path(stg).path("status").asText("Not Started");
        if (!stageStatus.equals("In Progress") && !stageStatus.equals("Mandatory Completed")) {
            String state = a.path(stg).path(group).path(plugin).path("state").asText("Not Started");
            return new Result(false, group, state, "plugin " + plugin + " is " + state + " (stage " + stageStatus
                    + "): only an In Progress or Not Started plugin of an open stage can be changed");
        }
        String now = Long.toString(System.currentTimeMillis());
        // The plugin's own execution item (engine v3); a listed plugin that never claimed has none yet: create it.
        var execution = new dev.orchestrator.core.Keys.Execution(plugin, uid, workflow, activity,
                dev.orchestrator.core.Stage.fromWire(stg));
        Map<String, String> names = Map.of("#state", ItemCodec.STATE, "#msg", ItemCodec.MESSAGE, "#ea", ItemCodec.ENDED_AT,
                "#u", ItemCodec.UPDATED_AT, "#m", ItemCodec.MANDATORY, "#v", ItemCodec.VERSION);
        Map<String, AttributeValue> values = new java.util.HashMap<>(Map.of(":st", AttributeValue.fromS(action.state),
                ":msg", AttributeValue.fromS(message), ":now", AttributeValue.fromN(now),
                ":ip", AttributeValue.fromS(State.IN_PROGRESS.wire()), ":ns", AttributeValue.fromS(State.NOT_STARTED.wire()),
                ":one", AttributeValue.fromN("1"), ":mand", AttributeValue.fromBool(ItemCodec.MANDATORY.equals(group))));
        String tableName = target.export(StackExports.STATUS_TABLE);
        String g = group;
        try {
            Target.aws(() -> target.dynamo().updateItem(b -> b.tableName(tableName)
                    .key(execution.key())
                    .updateExpression("SET #state = :st, #msg = :msg, #ea = :now, #u = :now, #m = if_not_exists(#m, :mand)"
                            + " ADD #v :one")
                    .conditionExpression("attribute_not_exists(#state) OR #state IN (:ip, :ns)")
                    .expressionAttributeNames(names).expressionAttributeValues(values)));
            return new Result(true, g, action.state, message);
        } catch (ConditionalCheckFailedException e) {
            JsonNode now2 = reads.run(uid, workflow).map(r -> r.path("activities").path(activity).path(stg)).orElse(null);
            String state = now2 == null ? "gone" : now2.path(g).path(plugin).path("state").asText("Not Started");
            String stageState = now2 == null ? "gone" : now2.path("status").asText("Not Started");
            return new Result(false, g, state, "plugin " + plugin + " is " + state + " (stage " + stageState
                    + "): only an In Progress or Not Started plugin of an open stage can be changed");
        }
    }

}
