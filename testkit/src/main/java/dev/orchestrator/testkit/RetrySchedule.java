package dev.orchestrator.testkit;

import java.time.Duration;
import java.util.OptionalLong;

/**
 * When the local runtime tries a delivery again: exponential backoff from {@code first}, each wait at
 * most {@code cap}, until {@code horizon} has passed since the event was accepted. A pure function of
 * the number of failures so far and the time elapsed, so it is tested on its own.
 *
 * <p>AWS keeps events it could not yet hand to a function for a long time: Lambda retries an
 * asynchronous event it could not run (throttled, or the service failing) for up to the function's
 * {@code MaximumEventAgeInSeconds} (6 hours by default) with waits growing to 5 minutes, and SNS
 * retries a delivery to Lambda for days. {@link #ASYNC_SYSTEM} is that schedule. Locally, "the
 * service failing" is the emulator or this machine being too busy to answer (see
 * {@link LocalLambdaRuntime#overloaded}).
 *
 * <p>{@link #SQS_VISIBILITY} spaces the receives of an SQS message its function failed: AWS leaves a
 * failed message invisible for the queue's visibility timeout (minutes); locally the first retries come
 * sooner (tests need seconds) and then back off, so a burst of load does not spend a queue's
 * {@code maxReceiveCount} in a few seconds. It never waits longer than the queue's own timeout.
 */
public record RetrySchedule(Duration first, Duration cap, Duration horizon) {

    /** Lambda's retries of an event it could not run: 1 s doubling to 5 min, for up to 6 hours. */
    public static final RetrySchedule ASYNC_SYSTEM = new RetrySchedule(Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofHours(6));

    /** Receives of a failed SQS message: 1 s doubling, capped by the queue's visibility timeout. */
    public static final RetrySchedule SQS_VISIBILITY = new RetrySchedule(Duration.ofSeconds(1), Duration.ofMinutes(15), Duration.ofDays(14));

    public RetrySchedule {
        if (first.isNegative() || first.isZero()) {
            throw new IllegalArgumentException("first wait must be positive, got " + first);
        }
        if (cap.compareTo(first) < 0) {
            throw new IllegalArgumentException("cap " + cap + " is shorter than the first wait " + first);
        }
        if (horizon.isNegative()) {
            throw new IllegalArgumentException("horizon must not be negative, got " + horizon);
        }
    }

    /** The same schedule with another horizon (e.g. the function's MaximumEventAgeInSeconds). */
    public RetrySchedule withHorizon(Duration horizon) {
        return new RetrySchedule(first, cap, horizon);
    }

    /** The same schedule with another cap (e.g. the queue's visibility timeout). */
    public RetrySchedule withCap(Duration cap) {
        return new RetrySchedule(first, cap.compareTo(first) < 0 ? first : cap, horizon);
    }

    /** The wait before the next try after {@code failures} (>= 1) failed tries: first * 2^(failures-1), at most cap. */
    public long delayMillis(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, got " + failures);
        }
        long firstMs = first.toMillis();
        long capMs = cap.toMillis();
        int shift = Math.min(failures - 1, 62);
        if (firstMs > (capMs >> shift)) {
            return capMs;
        }
        return Math.min(capMs, firstMs << shift);
    }

    /**
     * The wait before the next try, or empty when that try would start after the horizon (measured from
     * when the event was accepted): then the event goes to its failure destination.
     */
    public OptionalLong next(int failures, long elapsedMillis) {
        long delay = delayMillis(failures);
        return elapsedMillis + delay > horizon.toMillis() ? OptionalLong.empty() : OptionalLong.of(delay);
    }
}
