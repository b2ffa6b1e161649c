package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimersTest {

    @Test
    void delaysRoundUpAndCapAtFifteenMinutes() {
        assertThat(Timers.delaySeconds(1_000, 1_000)).isZero();
        assertThat(Timers.delaySeconds(1_001, 1_000)).isEqualTo(1);
        assertThat(Timers.delaySeconds(3_000, 1_000)).isEqualTo(2);
        assertThat(Timers.delaySeconds(1_000 + 3_600_000, 1_000)).isEqualTo(900);
        assertThat(Timers.delaySeconds(0, 1_000)).isZero();
    }
}
