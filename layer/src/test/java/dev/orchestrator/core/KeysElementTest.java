package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A map element's execution key: the plugin's own partition, the stage's sort key plus the index. */
class KeysElementTest {

    @Test
    void anElementKeyKeepsThePluginPartitionAndParsesBack() {
        Keys.Execution stage = new Keys.Execution("dns", "acme", "onboard", "Fan", Stage.PARALLEL);
        Keys.Execution e = stage.element(42);
        assertThat(e.uidKey()).isEqualTo("~dns~acme").isEqualTo(stage.uidKey());
        assertThat(e.sortKey()).isEqualTo("onboard\u001FFan\u001Fparallel\u001F42");
        assertThat(Keys.execution(e.uidKey(), e.sortKey())).isEqualTo(e);
        assertThat(Keys.execution(stage.uidKey(), stage.sortKey())).isEqualTo(stage);
        assertThat(Keys.execution(stage.uidKey(), stage.sortKey()).index()).isNull();
    }

    @Test
    void aBadIndexIsRefused() {
        assertThatThrownBy(() -> Keys.execution("~dns~acme", "w\u001FA\u001Fparallel\u001Fx"))
                .hasMessageContaining("element index is not a number");
        assertThatThrownBy(() -> Keys.execution("~dns~acme", "w\u001FA\u001Fparallel\u001F-1"))
                .hasMessageContaining("negative");
    }

    @Test
    void theItemsPartitionIsTheEnginesAndMeetsNoPluginOrRoster() {
        assertThat(Keys.kind(Keys.itemsPartition("acme"))).isEqualTo(Keys.Kind.ROSTER);
        assertThat(Keys.itemsPartition("acme")).isNotEqualTo(Keys.rosterPartition("acme"));
    }

    @Test
    void anElementOutputHasItsOwnPayloadKey() {
        assertThat(Outputs.outputKey("u", "w", "A", Stage.PARALLEL, "p", 7)).isEqualTo("runs/u/~p~/w/A/parallel/7.json");
        assertThat(Outputs.outputKey("u", "w", "A", Stage.PARALLEL, "p")).isEqualTo("runs/u/~p~/w/A/parallel.json");
    }
}
