package dev.orchestrator.registrar;

import dev.orchestrator.core.Keys;
import dev.orchestrator.core.PluginRegistration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether the registrar trusts a plugin to be who its {@code initialize} reply says: every IAM role its code
 * runs as (the subscribed function's, and for a queue bridge the queue consumers') must carry the tag
 * {@code orchestrator-plugin} equal to the plugin's name, the tag the stack's plugin policy confines writes
 * by. Pure: the registrar reads the functions and tags, this decides (docs/security.md).
 */
final class PrincipalCheck {

    private PrincipalCheck() {
    }

    /**
     * One function the plugin's code runs in, as Lambda and IAM describe it.
     *
     * @param function the function's name or ARN
     * @param role     its execution role's ARN; {@code null} when it could not be read (then {@code unreadable} says why)
     * @param tags     the role's tags ({@code null} when they could not be read)
     * @param part     what the function is to the plugin: {@link #SUBSCRIBED} or {@code consumer of queue <arn>}
     * @param unreadable why the function or its role's tags could not be read; {@code null} when they were
     */
    record Principal(String function, String role, Map<String, String> tags, String part, String unreadable) {

        static Principal read(String function, String role, Map<String, String> tags, String part) {
            return new Principal(function, role, Map.copyOf(tags), part, null);
        }

        static Principal unreadable(String function, String role, String part, String why) {
            return new Principal(function, role, null, part, why);
        }

        /** The tag's value on the role, {@code null} when absent or unread. */
        String tag() {
            return tags == null ? null : tags.get(Keys.PLUGIN_TAG);
        }
    }

    static final String SUBSCRIBED = "subscribed function";

    /**
     * The variable naming a queue bridge's queue (the layer's QueuePlugin reads it), read from the bridge function's
     * configuration, never from the registrar's own environment: a plain string, so the template contract test does
     * not take it for one of the registrar's variables.
     */
    static final String BRIDGE_QUEUE_VARIABLE = "PLUGIN_QUEUE_URL";

    /** A principal that is not the plugin: what the log line and the registry say about it. */
    record Mismatch(Principal principal, String reason) {
    }

    /** The decision: what to record, and each principal that failed (empty when trusted). */
    record Verdict(PluginRegistration.Identity identity, List<Mismatch> mismatches) {
        boolean trusted() {
            return mismatches.isEmpty();
        }
    }

    /**
     * Decides whether {@code pluginName} may be trusted to run as {@code principals}: trusted when there is at least
     * one principal and every one is readable and tagged {@code orchestrator-plugin=<pluginName>}.
     */
    static Verdict decide(String pluginName, List<Principal> principals) {
        List<Mismatch> mismatches = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        for (Principal p : principals) {
            if (p.role() != null && !roles.contains(p.role())) {
                roles.add(p.role());
            }
            String reason = reason(pluginName, p);
            if (reason != null) {
                mismatches.add(new Mismatch(p, reason));
            }
        }
        if (principals.isEmpty()) {
            // Never reached from the registrar (the subscribed function is always read); refuse rather than trust nothing.
            mismatches.add(new Mismatch(null, "no function to check: the registrar found no principal for plugin " + pluginName));
        }
        String refused = mismatches.isEmpty() ? null
                : String.join("; ", mismatches.stream().map(Mismatch::reason).toList());
        return new Verdict(new PluginRegistration.Identity(roles, refused), List.copyOf(mismatches));
    }

    /** Why this principal is not the plugin, with what to do; {@code null} when it is. */
    static String reason(String pluginName, Principal p) {
        String fix = "tag the role " + Keys.PLUGIN_TAG + "=" + pluginName + ", then reconcile";
        if (p.unreadable() != null) {
            return "cannot check " + who(p) + (p.role() == null ? "" : " (role " + p.role() + ")") + ": " + p.unreadable();
        }
        String tag = p.tag();
        String role = "role " + p.role() + " (" + who(p) + ")";
        if (tag == null) {
            return role + " has no tag " + Keys.PLUGIN_TAG + ": " + fix;
        }
        if (tag.isEmpty()) {
            return role + " has an empty tag " + Keys.PLUGIN_TAG + ": " + fix;
        }
        if (!tag.equals(pluginName)) {
            return role + " is tagged " + Keys.PLUGIN_TAG + "=" + tag + ", not " + pluginName + ": " + fix;
        }
        return null;
    }

    /** "subscribed function f", or "function f, consumer of queue q". */
    private static String who(Principal p) {
        return SUBSCRIBED.equals(p.part()) ? SUBSCRIBED + " " + p.function() : "function " + p.function() + ", " + p.part();
    }

    /** The role's name from its ARN ({@code arn:aws:iam::<account>:role[/path]/<name>}): what ListRoleTags takes. */
    static String roleName(String roleArn) {
        int colon = roleArn.lastIndexOf(':');
        String resource = roleArn.substring(colon + 1);
        if (!resource.startsWith("role/")) {
            throw new IllegalArgumentException("not an IAM role ARN: " + roleArn);
        }
        return resource.substring(resource.lastIndexOf('/') + 1);
    }

    /**
     * The ARN of the queue a bridge sends to, from its URL ({@code https://sqs.<region>.amazonaws.com/<account>/<name>},
     * or an emulator's {@code http://host:port/<account>/<name>}) and the bridge function's ARN (partition, region):
     * an event source mapping is in its queue's region, and a bridge sends to a queue in its own.
     */
    static String queueArn(String queueUrl, String functionArn) {
        String[] path = java.net.URI.create(queueUrl.trim()).getPath().replaceAll("^/+|/+$", "").split("/");
        String[] fn = functionArn.split(":");
        if (path.length < 2 || fn.length < 7 || !fn[2].equals("lambda")) {
            throw new IllegalArgumentException("cannot name the queue of URL " + queueUrl + " (function " + functionArn + ")");
        }
        return "arn:" + fn[1] + ":sqs:" + fn[3] + ":" + path[path.length - 2] + ":" + path[path.length - 1];
    }
}
