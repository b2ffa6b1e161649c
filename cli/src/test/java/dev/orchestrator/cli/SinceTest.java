package dev.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SinceTest {

    @Test
    void durations() {
        assertThat(Since.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Since.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Since.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Since.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Since.parse("1w")).isEqualTo(Duration.ofDays(7));
        assertThatThrownBy(() -> Since.parse("soon")).isInstanceOf(CliException.class)
                .hasMessageContaining("'soon' is not a duration")
                .satisfies(e -> assertThat(((CliException) e).code()).isEqualTo(Exit.USAGE));
    }

    @Test
    void tableColumnsFitTheirWidestCell() {
        String t = new Table("A", "LONGER", "C").row("x", null, "last").row("wide-cell", "y", "z").render();
        assertThat(t.lines().toList()).containsExactly(
                "A          LONGER  C",
                "x          -       last",
                "wide-cell  y       z");
    }
}
