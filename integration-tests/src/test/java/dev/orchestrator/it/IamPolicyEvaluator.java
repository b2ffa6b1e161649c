package dev.orchestrator.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, pure evaluator of an IAM identity policy document, for tests: it answers whether one request
 * (action, resource ARN, request context) is allowed, the way IAM decides for a single identity policy with no
 * permissions boundary, SCP or session policy. Default deny; an explicit Deny wins over any Allow.
 * <p>
 * It covers what the orchestrator's published policies use, and refuses anything else with an error naming it
 * rather than guessing: {@code Effect}, {@code Action} and {@code Resource} (strings or lists, with {@code *}
 * and {@code ?}; actions case-insensitive; ARNs matched segment by segment, the resource part as a whole),
 * {@code Sid}, and the condition operators {@code StringEquals}, {@code StringLike}, {@code StringNotLike} and
 * {@code Null}, each optionally prefixed by {@code ForAllValues:} or {@code ForAnyValue:}. Condition values may
 * hold policy variables ({@code ${aws:PrincipalTag/x}}, and {@code ${*}}, {@code ${?}}, {@code ${$}} for the
 * literal characters); a variable's value is literal text, never a wildcard; a variable whose key the request
 * lacks makes that value match nothing.
 * <p>
 * Semantics (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued context keys"): several
 * values for one key are ORed; several keys, and several operators, are ANDed. Without a set prefix a missing
 * key fails the condition (negated operators: it passes). {@code ForAllValues} passes when every request value
 * matches some policy value, and passes vacuously when the key is missing or empty; {@code ForAnyValue} needs at
 * least one match.
 */
final class IamPolicyEvaluator {

    enum Decision { ALLOW, IMPLICIT_DENY, EXPLICIT_DENY }

    /** One request: e.g. {@code dynamodb:UpdateItem} on a table ARN, with {@code dynamodb:LeadingKeys} in its context. */
    record Request(String action, String resource, Map<String, List<String>> context) {
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");

    private final List<Map<String, Object>> statements;

    @SuppressWarnings("unchecked")
    IamPolicyEvaluator(Map<String, Object> document) {
        Object s = document.get("Statement");
        if (s == null) {
            throw new IllegalArgumentException("policy document has no Statement");
        }
        this.statements = new ArrayList<>();
        for (Object one : s instanceof List<?> l ? l : List.of(s)) {
            Map<String, Object> st = (Map<String, Object>) one;
            for (String key : st.keySet()) {
                if (!List.of("Sid", "Effect", "Action", "Resource", "Condition").contains(key)) {
                    throw new IllegalArgumentException("statement element " + key + " is not supported by this evaluator");
                }
            }
            if (!"Allow".equals(st.get("Effect")) && !"Deny".equals(st.get("Effect"))) {
                throw new IllegalArgumentException("statement Effect must be Allow or Deny, got " + st.get("Effect"));
            }
            statements.add(st);
        }
    }

    Decision evaluate(Request r) {
        boolean allowed = false;
        for (Map<String, Object> st : statements) {
            if (applies(st, r)) {
                if ("Deny".equals(st.get("Effect"))) {
                    return Decision.EXPLICIT_DENY;
                }
                allowed = true;
            }
        }
        return allowed ? Decision.ALLOW : Decision.IMPLICIT_DENY;
    }

    boolean allows(Request r) {
        return evaluate(r) == Decision.ALLOW;
    }

    private boolean applies(Map<String, Object> st, Request r) {
        boolean action = strings(st.get("Action"), "Action").stream()
                .anyMatch(a -> compiled(a.toLowerCase(Locale.ROOT)).matcher(r.action().toLowerCase(Locale.ROOT)).matches());
        boolean resource = strings(st.get("Resource"), "Resource").stream()
                .anyMatch(p -> arnMatches(substitute(p, r.context()), r.resource()));
        return action && resource && conditions(st.get("Condition"), r.context());
    }

    @SuppressWarnings("unchecked")
    private static boolean conditions(Object condition, Map<String, List<String>> context) {
        if (condition == null) {
            return true;
        }
        for (Map.Entry<String, Object> op : ((Map<String, Object>) condition).entrySet()) {
            for (Map.Entry<String, Object> key : ((Map<String, Object>) op.getValue()).entrySet()) {
                if (!condition(op.getKey(), strings(key.getValue(), key.getKey()), context.get(key.getKey()), context)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean condition(String operator, List<String> policyValues, List<String> requestValues,
                                     Map<String, List<String>> context) {
        String set = null;
        String op = operator;
        if (op.startsWith("ForAllValues:") || op.startsWith("ForAnyValue:")) {
            set = op.substring(0, op.indexOf(':'));
            op = op.substring(op.indexOf(':') + 1);
        }
        if (op.equals("Null")) {
            if (set != null) {
                throw new IllegalArgumentException("condition operator " + operator + " is not supported by this evaluator");
            }
            boolean wantsAbsent = policyValues.stream().anyMatch("true"::equalsIgnoreCase);
            return wantsAbsent == (requestValues == null || requestValues.isEmpty());
        }
        boolean negated = op.equals("StringNotLike");
        boolean like = op.equals("StringLike") || negated;
        if (!like && !op.equals("StringEquals")) {
            throw new IllegalArgumentException("condition operator " + operator + " is not supported by this evaluator");
        }
        List<Pattern> patterns = new ArrayList<>();
        for (String v : policyValues) {
            Pattern p = pattern(v, like, context);
            if (p != null) {
                patterns.add(p);
            }
        }
        java.util.function.Predicate<String> matches = value -> {
            boolean any = patterns.stream().anyMatch(p -> p.matcher(value).matches());
            return negated != any;
        };
        boolean empty = requestValues == null || requestValues.isEmpty();
        if ("ForAllValues".equals(set)) {
            return empty || requestValues.stream().allMatch(matches);
        }
        if ("ForAnyValue".equals(set)) {
            return !empty && requestValues.stream().anyMatch(matches);
        }
        if (empty) {
            return negated;
        }
        if (requestValues.size() > 1) {
            throw new IllegalArgumentException("condition " + operator + " without ForAllValues/ForAnyValue on a multivalued key");
        }
        return matches.test(requestValues.get(0));
    }

    /** The value as a pattern: variables resolved to literal text; null when a variable's key is missing. */
    private static Pattern pattern(String value, boolean like, Map<String, List<String>> context) {
        StringBuilder regex = new StringBuilder();
        Matcher m = VARIABLE.matcher(value);
        int at = 0;
        while (m.find()) {
            regex.append(like ? glob(value.substring(at, m.start())) : Pattern.quote(value.substring(at, m.start())));
            String name = m.group(1);
            String literal = switch (name) {
                case "*", "?", "$" -> name;
                default -> {
                    List<String> v = context.get(name);
                    if (v == null || v.size() != 1) {
                        yield null;
                    }
                    yield v.get(0);
                }
            };
            if (literal == null) {
                return null;
            }
            regex.append(Pattern.quote(literal));
            at = m.end();
        }
        regex.append(like ? glob(value.substring(at)) : Pattern.quote(value.substring(at)));
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }

    /** Variables in a Resource resolved (a missing one leaves an ARN that matches nothing). */
    private static String substitute(String value, Map<String, List<String>> context) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            List<String> v = context.get(m.group(1));
            m.appendReplacement(out, Matcher.quoteReplacement(v == null || v.size() != 1 ? "\u0000unresolved\u0000" : v.get(0)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** ARNs: partition, service, region, account each matched alone; the resource part (which may hold ':') as a whole. */
    private static boolean arnMatches(String pattern, String arn) {
        if (pattern.equals("*")) {
            return true;
        }
        String[] p = pattern.split(":", 6);
        String[] a = arn.split(":", 6);
        if (p.length != 6 || a.length != 6) {
            return compiled(pattern).matcher(arn).matches();
        }
        for (int i = 0; i < 6; i++) {
            if (!compiled(p[i]).matcher(a[i]).matches()) {
                return false;
            }
        }
        return true;
    }

    private static Pattern compiled(String glob) {
        return Pattern.compile(glob(glob), Pattern.DOTALL);
    }

    private static String glob(String glob) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return regex.toString();
    }

    private static List<String> strings(Object v, String what) {
        if (v instanceof String s) {
            return List.of(s);
        }
        if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String)) {
            return l.stream().map(String.class::cast).toList();
        }
        throw new IllegalArgumentException(what + " must be a string or a list of strings, got " + v);
    }
}
