package dev.orchestrator.plugin;

import java.time.Duration;

/**
 * What a queue plugin's work returns, and its effect:
 * <ul>
 * <li>{@link Complete}: the plugin is {@code Complete}, with an output when one is given
 *     ({@link #complete(Object)}: a JSON object, passed to the activities that depend on this one as
 *     {@code inputs}; over {@code OUTPUT_INLINE_MAX_BYTES} it is stored in the payload bucket).</li>
 * <li>{@link Wait}: it stays {@code In Progress}; something reports later through
 *     {@link QueuePlugin#reportLater} (e.g. when an external job ends).</li>
 * <li>{@link Schedule}: run again after the delay (polling); the message comes back through the
 *     plugin's queue, delayed, so no Lambda waits. At most 15 minutes per hop.</li>
 * <li>{@link RetryError}: a transient failure: retried with exponential backoff (2, 4, 8 ... s) up to
 *     {@code PLUGIN_MAX_ATTEMPTS} attempts, then {@code Error} with the last message.</li>
 * <li>{@link FatalError}: {@code Error} at once, with the message.</li>
 * <li>{@link StartChild}: start another workflow as this plugin's child; the plugin stays
 *     {@code In Progress} until the child run ends, then takes its outcome (Complete, or Error with
 *     the child's cause). Cancelling the parent cancels the child.</li>
 * </ul>
 */
public sealed interface PluginResult {

    /** {@code output}: null (none), or the value to validate and store (it must turn out to be a JSON object). */
    record Complete(com.fasterxml.jackson.databind.JsonNode output) implements PluginResult {
        public Complete() {
            this(null);
        }
    }

    record Wait() implements PluginResult {
    }

    record Schedule(Duration delay) implements PluginResult {
    }

    record RetryError(String message) implements PluginResult {
    }

    record FatalError(String message) implements PluginResult {
    }

    record StartChild(ChildWorkflow child) implements PluginResult {
    }

    static PluginResult complete() {
        return new Complete();
    }

    /**
     * Complete with an output: a JSON object ({@code ObjectNode}, a {@code Map}, or any object Jackson writes as
     * one). Anything else (a list, a string, null) ends the plugin {@code Error} naming {@code output}; so does an
     * output over {@code OUTPUT_MAX_BYTES}.
     */
    static PluginResult complete(Object output) {
        com.fasterxml.jackson.databind.JsonNode node = output instanceof com.fasterxml.jackson.databind.JsonNode j ? j
                : dev.orchestrator.core.Json.mapper().valueToTree(output);
        return new Complete(node == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : node);
    }

    static PluginResult waitForReport() {
        return new Wait();
    }

    static PluginResult schedule(Duration delay) {
        return new Schedule(delay);
    }

    static PluginResult retry(String message) {
        return new RetryError(message);
    }

    static PluginResult fatal(String message) {
        return new FatalError(message);
    }

    static PluginResult startChild(ChildWorkflow child) {
        return new StartChild(child);
    }
}
