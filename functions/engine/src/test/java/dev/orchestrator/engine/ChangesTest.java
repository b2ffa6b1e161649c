package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.UpdateBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/** The header write of planned changes: DynamoDB refuses an expression whose document paths overlap. */
class ChangesTest {

    /** The left-hand sides of an expression's SET clauses (placeholders: one per distinct name). */
    static List<String> assigned(UpdateItemRequest r) {
        String set = r.updateExpression().replaceFirst("^SET ", "").split(" REMOVE ")[0];
        List<String> out = new ArrayList<>();
        for (String clause : set.split(",\\s*(?![^()]*\\))")) {
            out.add(clause.split("=")[0].trim());
        }
        return out;
    }

    @Test
    void anActivityThatStartsAndEndsInOneWriteSaysItsLastStateOnceAndKeepsItsStart() {
        // An activity with nothing to run: it starts, every stage is skipped in memory, and it ends, all in one write.
        List<Change> changes = List.of(Change.activity("A", State.IN_PROGRESS),
                Change.stage("A", Stage.PRE, State.COMPLETE), Change.stage("A", Stage.PARALLEL, State.COMPLETE),
                Change.stage("A", Stage.POST, State.COMPLETE), Change.activity("A", State.COMPLETE),
                Change.workflow(State.COMPLETE));
        UpdateBuilder u = new UpdateBuilder();
        u.expectVersion(3);
        Changes.write(u, changes, 1_000);
        UpdateItemRequest r = u.build("t", "u1", "wf", 1_000);
        List<String> paths = assigned(r);
        assertThat(paths).as(r.updateExpression()).doesNotHaveDuplicates();
        assertThat(r.expressionAttributeNames().values()).contains("startedAt", "endedAt");
    }
}
