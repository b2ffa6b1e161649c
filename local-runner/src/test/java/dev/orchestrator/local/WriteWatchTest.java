package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** How a local run judges the plugins' writes to the status table (protocol v3), on writes and items given directly. */
class WriteWatchTest {

    static final String SEP = "\u001f";

    private static String request(String uidKey, String update) {
        return """
                {"TableName": "status", "Key": {"uid": {"S": "%s"}, "workflow": {"S": "w%sReview%sparallel"}},
                 "UpdateExpression": "%s", "ConditionExpression": "#state = :ip",
                 "ExpressionAttributeNames": {"#state": "state", "#updatedAt": "updatedAt", "#version": "version"},
                 "ExpressionAttributeValues": {":ip": {"S": "In Progress"}, ":now": {"N": "1"}, ":one": {"N": "1"}}}
                """.formatted(uidKey, "\\u001f", "\\u001f", update);
    }

    @Test
    void wireRulesAreCheckedOnTheRequest() {
        String good = "SET #heartbeatAt = :now, #updatedAt = :now ADD #version :one";
        assertThat(WriteWatch.broken("UpdateItem", Json.parse(request("~audit~r-1", good)))).isEmpty();
        assertThat(WriteWatch.broken("UpdateItem", Json.parse(request("r-1", good))))
                .containsExactly("own-item: a plugin writes only its own execution item (uid '~<plugin>~<run uid>'), not the run's header 'r-1'");
        assertThat(WriteWatch.broken("UpdateItem", Json.parse(request("~~r-1", good)))).singleElement().asString()
                .startsWith("own-item: a plugin writes only its own execution item").endsWith("not the engine's roster '~~r-1'");
        assertThat(WriteWatch.broken("UpdateItem", Json.parse(request("~audit~r-1", "SET #heartbeatAt = :now ADD #version :one"))))
                .containsExactly("version-bump: the UpdateExpression lacks SET updatedAt = :now");
        assertThat(WriteWatch.broken("UpdateItem", Json.parse(request("~audit~r-1", "SET #heartbeatAt = :now, #updatedAt = :now"))))
                .containsExactly("version-bump: the UpdateExpression lacks ADD version :one");
        assertThat(WriteWatch.broken("PutItem", Json.parse(request("~audit~r-1", good))))
                .containsExactly("update-item: every plugin write is one UpdateItem, not PutItem");
    }

    @Test
    void conformanceRulesAreCheckedOnEachWrite() {
        String tail = ", #updatedAt = :now ADD #version :one";
        String claim = "SET #state = :ip, #startedAt = :now, #heartbeatAt = :now, #attempt = if_not_exists(#attempt, :zero) + :one, "
                + "#mandatory = :t, #order = if_not_exists(#order, :o), #runUid = if_not_exists(#runUid, :u), "
                + "#runWorkflow = if_not_exists(#runWorkflow, :w), #activity = if_not_exists(#activity, :a), "
                + "#stage = if_not_exists(#stage, :s)" + tail;
        assertThat(broken(claim, Map.of())).isEmpty();
        assertThat(broken(claim.replace("#runUid = if_not_exists(#runUid, :u), ", "").replace("#mandatory = :t, ", ""), Map.of()))
                .containsExactly("claim-fields: the claim (SET state = In Progress) lacks SET mandatory, runUid");
        assertThat(broken("SET #state = :c, #endedAt = :now" + tail, Map.of(":c", "{\"S\": \"Complete\"}"))).isEmpty();
        assertThat(broken("SET #state = :c" + tail, Map.of(":c", "{\"S\": \"Error\"}")))
                .containsExactly("report-fields: the report (SET state = Error) lacks SET endedAt = :now");
        assertThat(broken("SET #state = :c, #endedAt = :now, #message = :m" + tail,
                Map.of(":c", "{\"S\": \"Error\"}", ":m", "{\"S\": \"" + "x".repeat(181) + "\"}")))
                .containsExactly("message-length: message is 181 characters, over 180");
        String rerun = "SET #rerunAt = :at, #heartbeatAt = :now, #message = :m" + tail;
        assertThat(broken(rerun, Map.of(":at", "{\"N\": \"1796582332000\"}", ":m", "{\"S\": \"later\"}"))).isEmpty();
        assertThat(broken(rerun.replace(", #message = :m", ""), Map.of(":at", "{\"N\": \"1796582332\"}")))
                .containsExactly("schedule: a Schedule / RetryError (SET rerunAt) lacks SET message",
                        "schedule: rerunAt must be epoch milliseconds, got 1796582332 (seconds?)");
    }

    /** What {@link WriteWatch#broken} finds in an UpdateItem on ~audit~r-1 with this expression and these extra values. */
    private static List<String> broken(String update, Map<String, String> values) {
        var request = (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse(request("~audit~r-1", update));
        var names = (com.fasterxml.jackson.databind.node.ObjectNode) request.get("ExpressionAttributeNames");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("#(\\w+)").matcher(update);
        while (m.find()) {
            names.put(m.group(), m.group(1));
        }
        var vals = (com.fasterxml.jackson.databind.node.ObjectNode) request.get("ExpressionAttributeValues");
        values.forEach((k, v) -> vals.set(k, Json.parse(v)));
        return WriteWatch.broken("UpdateItem", request);
    }

    @Test
    void refusedWritesAreJudgedByWhatTheItemSaysAfterwards() {
        try (WriteWatch watch = new WriteWatch(URI.create("http://127.0.0.1:1"), "status")) {
            String sort = "w" + SEP + "Review" + SEP + "parallel";
            String refused = "ConditionalCheckFailedException";
            // late: its claim landed, then the engine refused the join
            watch.add(new WriteWatch.Write("s/Late", "UpdateItem", "~late~r-1", sort, List.of(), null, null, List.of(), 100));
            // slip: its only claim was refused while it had no item
            watch.add(new WriteWatch.Write("s/Slip", "UpdateItem", "~slip~r-1", sort, List.of(), refused, "failed", List.of(), 100));
            // dropped: its claim was refused while dispatched Not Started, the engine dropped it later
            watch.add(new WriteWatch.Write("s/Dropped", "UpdateItem", "~dropped~r-1", sort, List.of(), refused, "failed", List.of(), 100));
            // cancelled: refused by an item the engine had ended before: the right answer
            watch.add(new WriteWatch.Write("s/Cancelled", "UpdateItem", "~cancelled~r-1", sort, List.of(), refused, "failed", List.of(), 300));
            // duplicate: one delivery claimed and completed, the other was refused
            watch.add(new WriteWatch.Write("s/Dup", "UpdateItem", "~dup~r-1", sort, List.of(), null, null, List.of(), 100));
            watch.add(new WriteWatch.Write("s/Dup", "UpdateItem", "~dup~r-1", sort, List.of(), refused, "failed", List.of(), 110));
            // another run's write is not this run's business
            watch.add(new WriteWatch.Write("s/Other", "UpdateItem", "~other~r-2", sort, List.of(), refused, "failed", List.of(), 100));
            Map<String, Map<String, AttributeValue>> items = Map.of(
                    "late", item("Do Not Run", "refused: joined after the registration window", 200),
                    "dropped", item("Do Not Run", "dropped: did not start within 5 s of the stage's start", 200),
                    "cancelled", item("Do Not Run", "cancelled", 200),
                    "dup", item("Complete", null, 150));
            List<String> problems = watch.problems("r-1", "w", x -> {
                assertThat(x.uid()).isEqualTo("r-1");
                assertThat(x.stage()).isEqualTo(Stage.PARALLEL);
                return items.getOrDefault(x.plugin(), Map.of());
            });
            assertThat(problems).containsExactly(
                    "plugin function s/Late (plugin late, Review/parallel): rule join-refused: the engine refused its claim in run r-1/w, "
                            + "its item ended 'Do Not Run': refused: joined after the registration window",
                    "plugin function s/Slip (plugin slip, Review/parallel): rule claim-refused: every write it made to its execution item of "
                            + "run r-1/w was refused (ConditionalCheckFailedException) and it has no item: a condition it should have met "
                            + "(check the names and values of its claim against docs/protocol.md, \"Claim\")",
                    "plugin function s/Dropped (plugin dropped, Review/parallel): rule claim-refused: every write it made to its execution item "
                            + "of run r-1/w was refused (ConditionalCheckFailedException) and its item ended 'Do Not Run' (dropped: did not "
                            + "start within 5 s of the stage's start): a condition it should have met (check the names and values of its "
                            + "claim against docs/protocol.md, \"Claim\")");
        }
    }

    private static Map<String, AttributeValue> item(String state, String message, long updatedAt) {
        Map<String, AttributeValue> m = new java.util.LinkedHashMap<>();
        m.put("state", AttributeValue.fromS(state));
        if (message != null) {
            m.put("message", AttributeValue.fromS(message));
        }
        m.put("updatedAt", AttributeValue.fromN(Long.toString(updatedAt)));
        return m;
    }
}
