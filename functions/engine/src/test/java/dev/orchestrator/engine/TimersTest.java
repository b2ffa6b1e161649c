package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.Json;

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

    @Test
    void aWakeUpReadsBackWhatWasWritten() {
        Timers.Wake w = new Timers.Wake("order-1", "fulfilment", 1_700_000_000_123L);
        assertThat(Timers.Wake.fromJson(Json.parse(w.toJson()))).isEqualTo(w);
    }

    @Test
    void aMalformedWakeUpIsRefusedNamingTheField() {
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"uid\":\"x\",\"workflow\":[],\"dueAt\":\"x\"}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("timer message's workflow must be a non-empty string, got []");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"uid\":\"x\",\"workflow\":\"w\",\"dueAt\":\"x\"}")))
                .hasMessageStartingWith("timer message's dueAt must be a whole number of epoch milliseconds, got \"x\"");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"uid\":\"x\",\"workflow\":\"w\",\"dueAt\":1.5}")))
                .hasMessageStartingWith("timer message's dueAt must be a whole number");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"uid\":\"x\",\"workflow\":\"w\",\"dueAt\":-1}")))
                .hasMessageStartingWith("timer message's dueAt must be a whole number");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"uid\":7,\"workflow\":\"w\",\"dueAt\":1}")))
                .hasMessageStartingWith("timer message's uid must be a non-empty string, got 7");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"workflow\":\"w\",\"dueAt\":1}")))
                .hasMessageStartingWith("timer message has no uid");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("{\"uid\":\"x\",\"workflow\":\"w\"}")))
                .hasMessageStartingWith("timer message has no dueAt");
        assertThatThrownBy(() -> Timers.Wake.fromJson(Json.parse("[]")))
                .hasMessageStartingWith("timer message must be a JSON object");
    }
}
