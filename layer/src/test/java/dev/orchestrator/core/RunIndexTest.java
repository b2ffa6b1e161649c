package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RunIndexTest {

    @Test
    void runsThatHaveNotEndedShareTheActivePartitionOfTheirShard() {
        int shard = RunIndex.shard("run-1");
        assertThat(RunIndex.partition("Not Started", "run-1")).isEqualTo("active#" + shard);
        assertThat(RunIndex.partition("In Progress", "run-1")).isEqualTo("active#" + shard);
        assertThat(RunIndex.partition("Complete", "run-1")).isEqualTo("Complete#" + shard);
        assertThat(RunIndex.partition("Error", "run-1")).isEqualTo("Error#" + shard);
    }

    @Test
    void aPendingStateIsReadFromTheActivePartitionsAndFromWhereEarlierEnginesKeptIt() {
        List<String> inProgress = RunIndex.partitions("In Progress");
        assertThat(inProgress).hasSize(2 * RunIndex.SHARDS).contains("active#0", "active#7", "In Progress#0", "In Progress#7");
        assertThat(RunIndex.partitions("Complete")).hasSize(RunIndex.SHARDS).allMatch(p -> p.startsWith("Complete#"));
        assertThat(RunIndex.partitions(List.of("Not Started", "In Progress", "Error")))
                .as("the active partitions once for both pending states").hasSize(4 * RunIndex.SHARDS).doesNotHaveDuplicates();
    }

    @Test
    void startingARunKeepsItsIndexKeysAndEndingItMovesThem() {
        UpdateBuilder start = new UpdateBuilder();
        start.set(List.of(ItemCodec.STATUS), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("In Progress"));
        var started = start.build("t", "run-1", "wf", 5_000);
        assertThat(started.updateExpression()).as("the time it became active is kept").contains("if_not_exists(");
        assertThat(started.expressionAttributeValues()).containsValue(
                software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("active#" + RunIndex.shard("run-1")));

        UpdateBuilder end = new UpdateBuilder();
        end.set(List.of(ItemCodec.STATUS), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("Complete"));
        var ended = end.build("t", "run-1", "wf", 9_000);
        assertThat(ended.updateExpression()).doesNotContain("if_not_exists(");
        assertThat(ended.expressionAttributeValues()).containsValue(
                software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("Complete#" + RunIndex.shard("run-1")))
                .containsValue(software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN("9000"));
    }
}
