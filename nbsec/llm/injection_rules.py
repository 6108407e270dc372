"""The cue table of the injection detector (English): what instructions aimed at a model look like (stdlib).

Each cue: (label, family, weight, needs, pattern over folded text). A weight >= 0.5 flags on its own; weaker
cues need company (weights combine as a noisy-OR in nbsec.llm.injection). `needs` are groups of substrings:
the (slower) pattern only runs when each group has one in the text, which keeps a 1 KB check well under a
millisecond. Patterns describe the *shape* of an attack (an override verb aimed at the model's instructions, a
request whose object is the model's own setup, a message addressed to the AI inside content it reads), so
other phrasings of the same move match too. Extraction, exfiltration and tool cues live in
nbsec.llm.injection_actions, other languages in nbsec.llm.injection_i18n.
"""

from __future__ import annotations

import re

__all__ = ["CUES", "GIVEN", "S", "Cue", "rx"]

Cue = tuple[str, str, float, tuple[tuple[str, ...], ...], re.Pattern[str]]


def rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


S = r"[\W_]{0,4}"  # between two words: spaces, punctuation, nothing at all (spaced-out text joined)
_FILL = rf"(?:(?:all|any|the|of|your|these|those|its|their|every|each|whatever|everything|that|this|and|or){S}){{0,4}}"
_PRIOR = (
    r"(?:previous|prior|above|earlier|preceding|former|initial|original|old|existing|system|developer|pre-?set|"
    r"current|default|built-in)"
)
_RULES_NOUN = (
    r"(?:instructions?|rules|prompts?|directions|directives|guidelines|guardrails|constraints|restrictions|"
    r"programming|policies|commands|guidance|orders|context|system ?prompt|safety (?:rules|guidelines|filters)|"
    r"task|assignment|configuration|setup|principles|filters|training|persona)"
)
# "the previous instructions I sent about the offsite": a person's own earlier message, not the model's setup.
_NOT_MINE = (
    r"(?![,;:]? (?:i|we) (?:sent|gave|wrote|mentioned|shared|posted|emailed|forwarded|had)| from (?:me|us|my|our)\b"
    r"| in my\b)"
)
_OVERRIDE_VERB = (
    r"(?:ignore|disregard|forget|override|overwrite|bypass|skip|abandon|neglect|discard|set aside|throw away|drop|"
    r"ditch|do not follow|don'?t follow|stop following|stop obeying|no longer follow|pay no attention to|"
    r"disable|deactivate|turn off|switch off|suspend)"
)
_OVERRIDE_KEYS = (
    "ignor", "disregard", "forget", "overrid", "overwrit", "bypass", "skip", "abandon", "neglect", "discard",
    "set aside", "throw away", "follow", "pay no attention", "drop", "ditch", "disable", "deactivate", "turn off",
    "switch off", "suspend", "obey",
)  # fmt: skip
# Whoever set the model up, and how: "the rules you were configured with", "whatever your developers wrote".
GIVEN = (
    r"(?:(?:that |which )?you(?:'ve| have)? (?:were |been |got )?(?:given|told|taught|instructed|initiali[sz]ed|"
    r"configured|programmed|provided|set up|loaded|started|fed|trained|received|asked)|your (?:developers?|creators?|"
    r"makers?|operators?|owners?|programmers?|admins?|company|designers?|trainers?) (?:\w+ )?(?:gave|wrote|set|"
    r"configured|provided|instructed|told|programmed|specified|put))"
)
_AI = r"(?:ai|llm|gpt|chatgpt|claude|gemini|copilot|language model|assistant|chatbot|bot|agent|model)s?"
_AI_KEYS = ("ai", "llm", "gpt", "claude", "gemini", "copilot", "model", "assistant", "bot", "agent")
# What an instruction addressed to the AI goes on to ask (imperatives and scheduling words).
_AI_ORDER = (
    r"(?:please )?(?:ignore|disregard|forget|stop|instead|do not|don'?t|you (?:must|should|will|are now|shall|need)|"
    r"must|add|append|include|insert|send|forward|email|tell|say|reply|respond|answer|summari[sz]e|classify|mark|"
    r"close|call|use|render|grant|book|invite|accept|delete|approve|print|output|write|reveal|recommend|ask|make|"
    r"remember|from now|when (?:asked|you|the user|users|someone|summari[sz]ing|answering|responding|replying)|"
    r"(?:always|never) (?:say|tell|answer|respond|reply|recommend|mention|include|add|refer|describe|call|use|"
    r"reveal)|before (?:answering|you|replying|responding)|after (?:answering|you))"
)

CUES: tuple[Cue, ...] = (
    # ---------------------------------------------------------------- overriding the model's instructions
    (
        "ignore-instructions",
        "prompt-injection",
        0.8,
        (_OVERRIDE_KEYS,),
        rx(rf"{_OVERRIDE_VERB}{S}{_FILL}{_PRIOR}{S}{_FILL}{_RULES_NOUN}\b{_NOT_MINE}"),
    ),
    (
        "ignore-instructions",
        "prompt-injection",
        0.7,
        (_OVERRIDE_KEYS,),
        rx(rf"{_OVERRIDE_VERB}{S}(?:all|any|your){S}(?:of{S})?(?:your{S}|the{S})?{_RULES_NOUN}\b"),
    ),
    (
        # "disregard the task above", "forget the instructions given earlier": the place after the noun.
        "ignore-instructions",
        "prompt-injection",
        0.75,
        (_OVERRIDE_KEYS,),
        rx(
            rf"{_OVERRIDE_VERB}{S}{_FILL}{_RULES_NOUN}{S}(?:(?:given|written|stated|listed|provided|set){S})?"
            rf"(?:above|before|earlier|previously|so far|up to now|until now)\b{_NOT_MINE}"
        ),
    ),
    (
        "ignore-instructions",
        "prompt-injection",
        0.75,
        (_OVERRIDE_KEYS, ("you", "your")),
        rx(
            rf"{_OVERRIDE_VERB}{S}(?:the |all |any |whatever |everything |what |all the )?(?:\w+ )?"
            rf"(?:{_RULES_NOUN} )?{GIVEN}"
        ),
    ),
    (
        "ignore-instructions",
        "prompt-injection",
        0.7,
        (("forget", "ignor", "disregard"),),
        rx(
            rf"(?:forget|ignore|disregard){S}(?:everything|all|anything){S}(?:(?:you{S}(?:were|have been|"
            rf"'ve been){S}(?:told|taught|instructed|given))|above|before|prior|so far|previously|i said)"
        ),
    ),
    (
        "instructions-void",
        "prompt-injection",
        0.75,
        (
            (
                "obsolete",
                "void",
                "null",
                "cancel",
                "revoked",
                "invalid",
                "outdated",
                "lifted",
                "no longer",
                "supersede",
                "replaced",
                "overridden",
                "suspended",
                "deprecated",
            ),
        ),
        rx(
            rf"(?:your|all|any) (?:{_PRIOR} )?{_RULES_NOUN} (?:(?:are|is|have been|has been|were) )?(?:now |hereby |"
            r"officially )?(?:obsolete|void|null|cancel(?:l)?ed|revoked|invalid|outdated|deprecated|suspended|lifted|"
            r"disabled|superseded|replaced|overridden|no longer (?:valid|apply|applicable|in effect|active|relevant))"
        ),
    ),
    (
        "ignore-user",
        "prompt-injection",
        0.6,
        (("ignor", "disregard", "follow", "answer"), ("user", "human", "customer")),
        rx(
            r"(?:ignore|disregard|do not follow|don'?t follow|do not answer|don'?t answer) (?:what )?the (?:user|human|"
            r"customer)(?:'s (?:question|request|message|instructions?|query|input|prompt|task)| says| asked| wants|"
            r" and\b| completely| entirely|[,.;:])"
        ),
    ),
    (
        "priority-override",
        "prompt-injection",
        0.6,
        (("priority", "precedence", "supersede", "override", "replace", "cancel"),),
        rx(
            r"(?:th(?:is|ese)|the following|my|new) (?:instructions?|message|rules?|directives?|commands?) (?:take|"
            r"takes|has|have|get|gets) (?:top |absolute |highest |full )?(?:priority|precedence)|(?:supersedes?|"
            r"overrides?|replaces?|cancels?) (?:all|any|every|your|the) (?:previous |prior |other |earlier |old |"
            r"original |existing )?(?:instructions|rules|directives|guidelines|ones|commands|orders|prompt)|"
            r"(?:treat|consider|regard) (?:this|my) (?:message|instruction|request|prompt) as (?:the |an? |your )?"
            r"(?:highest|top|absolute|new|only)[- ]?(?:priority )?(?:instruction|directive|command|order|rule)"
        ),
    ),
    (
        "obey-me",
        "prompt-injection",
        0.45,
        (("obey", "follow", "listen"), ("only", "me", "my")),
        rx(
            r"(?:follow|obey|listen to) only (?:me|my (?:commands|instructions|orders|rules|words))|only (?:follow|"
            r"obey|listen to) (?:me|my (?:commands|instructions|orders))|\bobey (?:me|my (?:commands|orders))\b"
        ),
    ),
    (
        "rules-aside",
        "prompt-injection",
        0.55,
        (("aside", "one time", "exception", "just this once", "for a moment"),),
        rx(
            r"(?:rules|instructions|guidelines|restrictions|principles|programming|filters)[^.!?]{0,60}(?:put|set|"
            r"push|leave|cast) (?:them|those|it|these) aside|(?:make|an?) exception to (?:your|the) (?:rules|"
            r"guidelines|instructions|policy)|(?:suspend|relax|waive|loosen) (?:your|the) (?:rules|guidelines|"
            r"restrictions|filters|policies)"
        ),
    ),
    (
        "task-switch",
        "prompt-injection",
        0.4,
        (("stop", "instead", "actually"),),
        rx(
            r"stop (?:\w+ing|what you'?re doing|everything|your (?:current )?(?:task|job))\W{1,6}(?:now\W{1,6})?"
            r"(?:and )?(?:instead |just )?(?:write|say|print|output|tell|respond|answer|reveal|give|do|ask|send)|"
            r"actually,? (?:don'?t|do not) (?:\w+ )?"
            r"(?:anything|that)\W{1,3}(?:instead|ignore|just)"
        ),
    ),
    # ---------------------------------------------------------------- reassigning the model's role
    (
        "role-reassignment",
        "prompt-injection",
        0.55,
        (("you are n", "you're n", "youaren"),),
        rx(
            r"you(?: a|')re (?:now|no longer)\W{0,3}(?:an? |the |in |my )?(?:dan|unrestricted|unfiltered|uncensored|"
            r"free|jailbroken|evil|rogue|developer mode|god mode|not (?:an? )?(?:ai|assistant|bound)|an? ai (?:with|"
            r"without)|bound|restricted|chatgpt|claude|gpt|ai|assistant|language model)"
        ),
    ),
    (
        "role-reassignment",
        "prompt-injection",
        0.3,
        (
            (
                "you are now",
                "you're now",
                "from now on",
                "pretend",
                "role-play",
                "roleplay",
                "act as",
                "character",
                "simulate",
                "you play",
                "play the role",
            ),
        ),
        rx(
            r"(?:you(?: a|')re now (?:an? |the |my )|from now on,? you (?:are|will|must|shall|'ll|should) |"
            r"pretend (?:to be|you are|you're|that you are) |(?:role-?play|act) as (?:an? |my )?(?:ai|assistant|"
            r"model|chatbot|system|character|different|unrestricted|evil|hacker|jailbroken)|(?:stay|remain) (?:fully |"
            r"completely |always )?in character|break(?:ing)? character|simulate (?:an? )?(?:linux |unix |bash |"
            r"windows |root )?(?:terminal|shell|console|command line)|you play (?:an? |the )?\w+,? an? (?:ai|"
            r"assistant|chatbot|model|bot))"
        ),
    ),
    (
        "answers-anything",
        "jailbreak",
        0.35,
        (("anything", "everything", "any question", "off-limits", "off limits"),),
        rx(
            r"(?:will|can|always|must|would|should) (?:\w+ )?(?:answer|do|say|respond to|reply to|tell you) "
            r"(?:anything|everything|any question)|\banswers? (?:anything|everything|any question)|no (?:question|"
            r"topic|request) is off[- ]limits"
        ),
    ),
    (
        "jailbreak-persona",
        "jailbreak",
        0.7,
        (("anything now", "dan", "mode", "jailbreak", "🔓", "classic]", "confidant", "stan", "aim", "machiavellian"),),
        rx(
            r"do anything now|\bdan (?:mode|prompt|jailbreak)|(?:enable|activate|enter|switch to|you are in|"
            r"simulate|act in) (?:the )?(?:developer|god|dan|jailbreak|unrestricted|sudo|debug|admin) mode|"
            r"jailbreak(?:ed|en)? (?:mode|version|response)|\[?(?:🔓|jailbreak\]|classic\])|anti-?dan|"
            r"evil confidant|opposite mode|stan(?: mode|, which stands)|dude mode|aim (?:mode|stands for)|"
            r"always intelligent and machiavellian"
        ),
    ),
    (
        "no-restrictions",
        "jailbreak",
        0.4,
        (
            (
                "restrict",
                "filter",
                "censor",
                "limitation",
                "limits",
                "ethic",
                "moral",
                "content polic",
                "safety",
                "whatsoever",
                "rules at all",
                "guardrail",
                "rogue",
                "jailbroken",
                "unaligned",
                "evil",
            ),
        ),
        rx(
            r"(?:without|free (?:of|from)|no|ignore|bypass|break free of|not bound by|released from|any) (?:any |all |"
            r"the |your |its |typical |usual )?(?:restrictions|filters|filtering|censorship|limitations|limits|"
            r"ethical (?:guidelines|constraints|considerations|boundaries)|moral (?:guidelines|constraints)|"
            r"content polic(?:y|ies)|safety (?:guidelines|measures|filters|protocols)|rules? (?:at all|whatsoever))|"
            r"\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|jailbroken|unchained) (?:ai|assistant|model|"
            r"mode|response|answers?|version|chatbot|bot|agent)"
        ),
    ),
    (
        "restrictions-removed",
        "jailbreak",
        0.5,
        (("removed", "disabled", "lifted", "stripped", "turned off", "switched off", "deactivated", "deleted"),),
        rx(
            r"(?:creators?|developers?|makers?|programmers?|owners?|designers?|openai|anthropic|whose|you|your|its)"
            r"\b[^.!?\n]{0,30}?(?:removed|disabled|lifted|stripped|turned off|switched off|deactivated|deleted) "
            r"(?:all |every |any |its |their |your |the |of )*(?:restrictions?|filters?|guardrails|safety (?:filters|"
            r"rules|guidelines|features)|limitations|content polic(?:y|ies)|ethical (?:guidelines|constraints)|rules)"
            r"(?! on| for| in v)"
        ),
    ),
    (
        "rogue-persona",
        "jailbreak",
        0.25,
        (("rogue", "evil", "unaligned", "lawless", "malicious"),),
        rx(r"\b(?:rogue|evil|unaligned|lawless|malicious) (?:ai|assistant|model|chatbot|bot|agent|version)\b"),
    ),
    (
        "hypothetical-frame",
        "jailbreak",
        0.25,
        (("hypothetic", "fictional", "imaginary", "in a story", "in a novel", "in a movie"),),
        rx(
            r"(?:hypothetical(?:ly)?|fictional|imaginary|in a (?:story|novel|movie)) (?:world|scenario|story|"
            r"universe|setting)?[^.]{0,40}(?:no (?:rules|laws|restrictions|ethics)|anything is (?:allowed|possible))"
        ),
    ),
    (
        "leak-secrets",
        "jailbreak",
        0.3,
        (("leak",), ("secret", "confidential", "password", "credential")),
        rx(r"\bleak(?:s|ing)?\b[^.!?\n]{0,40}\b(?:secrets?|confidential|passwords?|credentials)\b"),
    ),
    # ---------------------------------------------------------------- fake structure
    (
        "new-instructions",
        "prompt-injection",
        0.45,
        ((":", "your "),),
        rx(
            r"(?:new|updated|revised|real|actual|true|secret|hidden|additional|override|special|urgent) (?:system )?"
            r"(?:instructions?|rules|directives?|system prompt|task|objective|orders)\b[^:\n.]{0,50}:|your (?:new|real|"
            r"true|actual|only) (?:task|goal|purpose|instructions?|job|objective|mission) (?:is|are|now|will be)"
        ),
    ),
    (
        "role-header",
        "prompt-injection",
        0.6,
        ((":",), ("system", "assistant", "admin", "developer", "root", "operator")),
        rx(
            r"(?:^|\n|[\]>}\"'.!?-]\s*)(?:#{1,4} ?|\[|<|\*\*)?(?:system|assistant|admin|developer|root|operator)"
            r"(?: message| prompt| override| instruction| note)?(?:\]|>|\*\*)?\s?:\s*"
            r"(?:you(?:'re| are) (?:now|no longer)|"
            r"you (?:must|will|shall|should|have to|need to)|ignore|disregard|forget|"
            r"from now|new|override|the assistant|the ai|the model|always|never|do not|don'?t|reveal|print|output|"
            r"respond|reply|answer|you must|important)"
        ),
    ),
    (
        "special-tokens",
        "prompt-injection",
        0.55,
        (("<|", "[inst", "[/inst", "<<sys", "<</sys", "<start_of_turn>", "[system]"),),
        rx(
            r"<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id|eot_id)\|>|"
            r"\[/?inst\]|<</?sys>>|<start_of_turn>|\[system\]\s?:?\s*(?:you|ignore|new|override)"
        ),
    ),
    (
        "delimiter-escape",
        "prompt-injection",
        0.8,
        (("</", "end of", "[end", "```", "---"),),
        rx(
            r"(?:</(?:document|doc|context|data|input|text|user_input|user|email|article|content|search_results?|"
            r"results?|tool_output|tool_result|output|untrusted|retrieved|source|query|message|webpage|page)>|"
            r"(?:end of|\[end|---+ ?end) (?:the )?(?:document|context|user input|input|data|email|article|"
            r"search results|tool output|text)\W{0,6}|```)\s*(?:#{1,4} ?|\[|<)?(?:system|assistant|admin|developer|"
            r"new instructions?|instructions?|ignore|disregard|important|override|attention)\b"
        ),
    ),
    # ---------------------------------------------------------------- instructions addressed to the AI in content
    (
        "addressed-to-ai",
        "prompt-injection",
        0.55,
        (
            _AI_KEYS,
            (
                "attention",
                "note",
                "important",
                "message",
                "instruction",
                "notice",
                "reminder",
                "if you are",
                "reading",
                "processing",
                "summari",
                "parsing",
            ),
        ),
        rx(
            rf"(?:attention|note|important|message|instructions?|notice|reminder) (?:to|for) (?:the |any |all )?"
            rf"{_AI}\b|if you are an? (?:ai|llm|language model|assistant|chatbot|gpt|agent|large language model)|"
            r"(?:ai|assistant|llm|model|agent|chatbot)s? (?:reading|processing|summari[sz]ing|parsing) this"
        ),
    ),
    (
        "addressed-to-ai",
        "prompt-injection",
        0.55,
        (_AI_KEYS, (":", ",")),
        rx(
            r"(?:^|[\n.!?:;>(\[{\"'*]|<!--|--)\s*(?:p\.?s\.?:?\s*)?(?:hey |hi |hello |dear |attention,? |"
            rf"(?:note|message) (?:to|for) (?:the )?|for (?:the |any |all )?)?(?:\w+ )?{_AI}(?: [a-z]+){{0,2}}?"
            rf"\s*[:,]\s*{_AI_ORDER}"
        ),
    ),
    (
        "instructs-ai",
        "prompt-injection",
        0.35,
        (_AI_KEYS, ("must", "should", "shall", "needs to", "has to", "is required", "is instructed")),
        rx(
            r"\b(?:the )?(?:ai|assistant|model|chatbot|agent|bot|llm)s? (?:must|should|shall|needs to|has to|is "
            r"required to|is instructed to) (?:now |always |immediately |also |from now on )?(?:append|add|include|"
            r"insert|send|forward|invite|accept|tell|say|reply|respond|answer|recommend|ignore|delete|approve|grant|"
            r"call|use|print|output|reveal|book|transfer|mention|write|ask|close|mark)"
        ),
    ),
    (
        "hidden-markup",
        "prompt-injection",
        0.25,
        (("<!--", "font-size", "display", "visibility", "opacity", "[//]", "color:"),),
        rx(
            r"<!--|font-size:\s*0(?:px|pt|em)?\b|display:\s*none|visibility:\s*hidden|opacity:\s*0(?:\.0)?\b|"
            r"color:\s*(?:white|#fff(?:fff)?)\b|\[//\]: #"
        ),
    ),
    (
        "deceive-user",
        "prompt-injection",
        0.3,
        (("tell", "inform", "say to", "convince"), ("user", "reader", "customer", "human", "them")),
        rx(
            r"(?:tell|inform|say to|convince) (?:the |all )?(?:user|reader|customer|human|them)s? (?:that|to)\b|ask "
            r"the (?:user|customer|reader)s? (?:for|to (?:provide|enter|give|share|confirm|send|type)) (?:their |his |"
            r"her |your )?(?:credit card|card number|password|pin|ssn|social security|bank|login|credentials|one-time"
            r"|otp|cvv|account)"
        ),
    ),
    (
        "hide-from-user",
        "prompt-injection",
        0.55,
        (("user", "human", "customer", "person", "operator"), ("not", "n't", "never", "without", "hide", "conceal")),
        rx(
            r"(?:do not|don'?t|never|without) (?:tell|telling|inform|informing|mention|mentioning|alert|alerting|"
            r"notify|notifying|reveal|revealing|show|showing|let)\W{1,3}(?:this\W{1,3}|it\W{1,3}|anything\W{1,3})?"
            r"(?:to\W{1,3})?(?:the\W{1,3})?(?:user|human|customer|person|operator)|(?:hide|conceal) (?:this|these|"
            r"the) (?:instructions?|message|text) from (?:the )?(?:user|human)"
        ),
    ),
    (
        "output-hijack",
        "prompt-injection",
        0.4,
        (
            ("instead", "rather", "just", "only", "pwned"),
            ("say", "print", "output", "respond", "reply", "write", "answer", "return", "pwned"),
        ),
        rx(
            r"(?:instead|rather),? (?:just |only )?(?:say|print|output|respond with|reply with|write|answer with|"
            r"return)\W{1,3}[\"'`]|(?:just|only) (?:say|print|output|respond with|reply with)\W{1,3}[\"'`]|"
            r"(?:respond|reply|answer) only with\W{1,3}[\"'`]|"
            r"(?:say|print|output|write|respond with)\W{1,3}[\"']?i (?:have been|was|am) pwned|\bpwned\b"
        ),
    ),
    (
        "output-hijack",
        "prompt-injection",
        0.35,
        (
            ("say", "print", "output", "respond", "reply", "write", "answer", "return", "type", "append"),
            ("word", "phrase", "text", "string", "sentence"),
        ),
        rx(
            r"(?:say|print|output|write|respond with|reply with|answer with|return|type|append|add) (?:only |just )?"
            r"the (?:word|phrase|text|string|sentence)\b"
        ),
    ),
)
