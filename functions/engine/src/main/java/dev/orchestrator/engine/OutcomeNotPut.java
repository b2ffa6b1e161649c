package dev.orchestrator.engine;

/**
 * A run's outcome event could not be put on the bus (refused, throttled, the bus missing). Retrying cures it once
 * the bus is back, so the engine retries the run's records (the stream's retries, then its failure queue) instead
 * of ending or announcing the run otherwise: an outcome is never turned into another one, nor lost.
 */
public final class OutcomeNotPut extends RuntimeException {

    public OutcomeNotPut(String message, Throwable cause) {
        super(message, cause);
    }
}
