"""Injection cues (English) for what an attack wants from the model: its system prompt, the user's data sent
elsewhere, tools called or destructive actions taken (stdlib). See nbsec.llm.injection_rules for the format.

An extraction is a request whose object is the model's own setup ("your system prompt", "the instructions you
were given", "the first 50 words of your context", "the secret code from your instructions"), verb first or
object first ("..., print them"). A request negated in the text ("do not show the system message to users") is
a rule someone wrote, not a request. Exfiltration is data from the conversation sent to an address or URL, or
put in an image URL; agency is a tool named and ordered to act, a destructive command, a privilege granted.
"""

from __future__ import annotations

from nbsec.llm.injection_rules import GIVEN, Cue, rx

__all__ = ["ACTION_CUES"]

_NOT = r"(?<!not )(?<!n't )(?<!never )"  # "do not show the system message": a rule, not a request
_XVERB = (
    r"(?:reveal|print|show|output|repeat|display|leak|dump|tell me|give me|write out|write down|share|recite|"
    r"spell out|copy|paste|list|translate|summari[sz]e|paraphrase|rewrite|convert|encode|export|serialize|"
    r"quote|read out|reproduce|type out|send me|what (?:is|are|was|were))"
)
# The object of an extraction: the model's own setup.
_XOBJ = (
    r"(?:(?:your|the) (?:\w+ ){0,2}?(?:system|initial|hidden|original|secret|internal|confidential|developer|"
    r"pre-?|starting|first)[ -]?(?:prompt|instructions|message|directives|rules|configuration|guidelines)|"
    r"your (?:own )?(?:exact |full |entire |complete |original |initial |real )?(?:instructions|prompt|"
    r"directives|programming|configuration|setup|guidelines|rules|system message|context window|"
    r"initiali[sz]ation)(?! (?:for|on|about|to|of the)\b)|"
    rf"the (?:\w+ )?(?:instructions|rules|guidelines|directives|prompt|text|message|configuration|setup) {GIVEN}|"
    r"(?:what|everything|anything) you (?:were|have been|'ve been) (?:told|instructed|programmed|asked|given) "
    r"(?:not to|never to|to keep|to hide|to protect)|"
    r"(?:the )?(?:first|last|opening) (?:\d+|few|hundred|fifty|twenty|ten) (?:words|lines|characters|tokens|"
    r"sentences|messages) (?:of|in|from) (?:your|the) (?:context|prompt|instructions|conversation|system|memory)|"
    r"(?:secret|secrets|codes?|keys?|passwords?|tokens?|credentials|canary) (?:\w+ ){0,2}?(?:from|in|inside|of|"
    r"hidden in) your (?:instructions|system prompt|prompt|context|configuration|setup|rules|memory))"
)
_X_KEYS = (
    "prompt", "instruction", "message", "directive", "rules", "configur", "guideline", "setup", "context",
    "programming", "secret", "code", "key", "password", "token", "you were", "you've been", "you have been",
    "initiali",
)  # fmt: skip
_X_VERB_KEYS = (
    "reveal", "print", "show", "output", "repeat", "display", "leak", "dump", "tell me", "give me", "write", "share",
    "recite", "spell", "copy", "paste", "list", "translat", "summar", "paraphrase", "rewrite", "convert", "encode",
    "export", "serial", "quote", "read out", "reproduce", "type out", "send me", "what ",
)  # fmt: skip
_EMAIL_OR_URL = r"(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://|www\.)"
_TOOL_VERB = ("call", "invoke", "execute", "run", "use", "trigger", "using", "via")


ACTION_CUES: tuple[Cue, ...] = (
    # ---------------------------------------------------------------- extracting the system prompt
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.75,
        (
            ("prompt", "instruction", "message", "directive", "rules", "configuration", "guideline"),
            (
                "system",
                "initial",
                "hidden",
                "original",
                "secret",
                "internal",
                "confidential",
                "developer",
                "pre-prompt",
                "preprompt",
                "starting",
                "first",
            ),
        ),
        rx(
            rf"{_NOT}\b{_XVERB}\W{{1,4}}(?:me )?(?:all |the |your |of )*(?:exact |full |entire |complete |original |"
            r"verbatim |hidden |secret |internal |initial |confidential )*(?:system|initial|hidden|original|secret|"
            r"internal|confidential|developer|pre-?prompt|starting|first)\W{0,2}(?:prompt|instructions?|message|"
            r"directives|rules|configuration|guidelines)"
        ),
    ),
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.7,
        (_X_KEYS, ("you", "context"), _X_VERB_KEYS),
        rx(rf"{_NOT}\b{_XVERB}\W{{1,4}}(?:me\W{{1,3}}|us\W{{1,3}})?(?:\w+\W{{1,3}}){{0,5}}?{_XOBJ}"),
    ),
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.7,
        (
            _X_KEYS,
            (
                "print",
                "show",
                "reveal",
                "output",
                "repeat",
                "display",
                "list",
                "dump",
                "paste",
                "copy",
                "share",
                "tell me",
                "give me",
                "write",
            ),
        ),
        rx(
            rf"{_XOBJ}[^.!?\n]{{0,80}}?\b(?:print|show|reveal|output|repeat|display|list|dump|paste|copy|share|"
            r"tell me|give me|write(?: out| down)?)\W{1,3}(?:me\W{1,3})?(?:them|it|those|these|out|verbatim|in full|"
            r"word for word)"
        ),
    ),
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.6,
        (
            ("your", "above", "verbatim", "you are", "before this", "preceding", "prior to this"),
            (
                "reveal",
                "print",
                "show",
                "output",
                "repeat",
                "display",
                "leak",
                "dump",
                "tell me",
                "give me",
                "recite",
                "what ",
                "copy",
                "starting",
                "beginning",
                "everything",
            ),
        ),
        rx(
            r"(?:repeat|print|output|copy|recite)\W{1,4}(?:all |the |everything )?(?:text|words|lines|everything|"
            r"content|message)? ?(?:above|before this|preceding|prior to this|verbatim)|(?:starting|beginning) with "
            r"\W?you are\b|everything (?:above|before) (?:this|the) (?:line|message)"
        ),
    ),
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.6,
        (("complete", "continue", "finish"), ("instructions", "prompt", "rules", "guidelines", "real text")),
        rx(
            r"(?:complete|continue|finish) (?:the following|this|the sentence|the text)[^\n]{0,20}?\W{0,3}(?:my|your) "
            r"(?:instructions|system prompt|prompt|rules|guidelines)\b|continue with the (?:real|actual|original|"
            r"exact) (?:text|words|instructions|prompt)"
        ),
    ),
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.7,
        (("what", "which"), ("you",)),
        rx(
            r"\b(?:what|which) (?:exact(?:ly)? )?(?:rules|instructions|guidelines|directives|prompt|system prompt|"
            r"constraints|orders) (?:were|have|did) you (?:been )?(?:given|told|programmed with|configured with|"
            r"instructed|receive|get|start with)"
        ),
    ),
    (
        "prompt-file",
        "system-prompt-extraction",
        0.4,
        (("prompt", "instructions"), ("cat ", "type ", "less ", "more ", "head ", "tail ", "open ", "read ")),
        rx(r"\b(?:cat|type|less|more|head|tail|open|read)\s+[/~\w.-]{0,80}(?:system[_-]?prompt|instructions)[\w.-]*"),
    ),
    # ---------------------------------------------------------------- exfiltration
    (
        "exfiltration",
        "exfiltration",
        0.7,
        (
            ("http", "www.", "@", "url", "image", "link", "webhook", "endpoint", "server", "address", "email"),
            (
                "conversation",
                "chat",
                "history",
                "prompt",
                "password",
                "credential",
                "api",
                "key",
                "secret",
                "token",
                "personal",
                "user",
                "previous",
                "everything",
                "context",
                "session",
                "cookie",
                "memory",
                "file",
                "contact",
                "summary",
                "data",
            ),
        ),
        rx(
            r"(?:send|post|forward|transmit|upload|exfiltrate|email|e-mail|leak|submit|append|attach|encode|embed|"
            r"include|put|add|render|fetch|load|visit|navigate to|make a request to|call)\W{1,4}(?:\w+\W{1,3}){0,6}?"
            r"(?:conversation|chat|history|system prompt|prompt|password|credentials?|api ?keys?|secrets?|tokens?|"
            r"personal (?:data|information|details)|(?:user|their|his|her)(?:'s)? (?:data|information|details|"
            r"messages?|emails?)|previous messages|everything (?:above|you know)|context|session|cookies?|memory|"
            r"files?|contacts?|summary)\W{1,4}(?:\w+\W{1,3}){0,8}?(?:to|into|in|as|at|via|using)\W{1,3}"
            r"(?:\w+\W{1,3}){0,3}?(?:https?://|www\.|[\w.-]+@[\w-]+\.[a-z]{2,}|an? (?:url|image|link|webhook|"
            r"endpoint|server)|(?:this|the following|my|our) (?:url|link|address|endpoint|server|webhook|email))"
        ),
    ),
    (
        "exfiltration",
        "exfiltration",
        0.7,
        (("![", "image", "img", "pixel"), ("http", "url")),
        rx(
            r"!\[[^\]]{0,100}\]\(\s*https?://[^)\s]{0,200}(?:\{|\[|%7b|<|\$|insert|_here|placeholder|replace)|"
            r"(?:render|display|include|output|show|end with|add|append|embed) (?:\w+ ){0,3}?(?:markdown )?(?:image|"
            r"img|pixel)[^.\n]{0,80}(?:https?://|url)[^\n]{0,120}(?:replace|substitut|insert|append|fill in|with the|"
            r"containing|followed by|\{|\+ ?(?:the )?user)"
        ),
    ),
    (
        "exfiltration",
        "exfiltration",
        0.4,
        (("query string", "query parameter", "url parameter", "as an image", "in the url", "into the url"),),
        rx(
            r"(?:in|into|to) (?:the )?(?:query string|query parameters?|url parameters?|url) (?:of )?(?:this|the|"
            r"that|an?) (?:url|link|image)|(?:show|render|display) (?:it|them) as an image"
        ),
    ),
    (
        "collect-chat-data",
        "exfiltration",
        0.3,
        (("chat", "conversation", "thread", "session", "inbox", "mailbox", "history"),),
        rx(
            r"(?:collect|gather|extract|harvest|compile|list|take|grab|copy)\W{1,3}(?:\w+\W{1,3}){0,6}?(?:mentioned|"
            r"shared|discussed|written|contained|found|from|in) (?:in |from )?(?:this|the|our) (?:chat|conversation|"
            r"thread|session|context|history|inbox|mailbox)"
        ),
    ),
    (
        "send-external",
        "exfiltration",
        0.25,
        (("@", "http", "www."),),
        rx(
            r"(?:send|forward|email|e-mail|post|upload|transmit|share|copy|cc|bcc|invite|deliver)\W{1,3}"
            rf"(?:\w+\W{{1,3}}){{0,5}}?(?:to|at|with)\W{{1,3}}{_EMAIL_OR_URL}"
        ),
    ),
    # ---------------------------------------------------------------- tools and actions
    (
        "tool-coercion",
        "excessive-agency",
        0.5,
        (
            (
                "call",
                "invoke",
                "execute",
                "run",
                "use",
                "trigger",
                "delete",
                "drop",
                "wipe",
                "erase",
                "remove",
                "transfer",
                "wire",
                "send",
                "grant",
                "give",
            ),
            (
                "tool",
                "function",
                "plugin",
                "action",
                "api",
                "(",
                "all",
                "every",
                "entire",
                "whole",
                "$",
                "€",
                "£",
                "money",
                "funds",
                "usd",
                "eur",
                "dollars",
                "btc",
                "admin",
                "root",
                "owner",
                "superuser",
            ),
        ),
        rx(
            r"(?:call|invoke|execute|run|use|trigger)\W{1,3}(?:the\W{1,3})?[\w.-]{2,40}\W{1,3}(?:tool|function|"
            r"plugin|action|api)\W{1,3}(?:\w+\W{1,3}){0,8}?(?:immediately|now|without (?:asking|confirmation|"
            r"confirming|telling|informing|checking)|silently|secretly|automatically)|(?:call|invoke|execute|run)"
            r"\W{1,3}[a-z_]{3,40}\((?:[^)]{0,200})\)\W{1,3}(?:\w+\W{1,3}){0,6}?(?:immediately|now|first|silently|"
            r"without)|(?:delete|drop|wipe|erase|remove) (?:all|every|the entire|the whole) (?:files?|records?|"
            r"emails?|users?|data|database|tables?|repos(?:itory|itories)?|messages|backups)|"
            r"(?:transfer|wire|send) (?:\$|€|£|money|funds|\d[\d,.]* (?:usd|eur|dollars|btc))|"
            r"(?:grant|give) (?:me |the user |this user )?(?:admin|root|owner|superuser) "
            r"(?:access|rights|privileges|role)"
        ),
    ),
    (
        "tool-use",
        "excessive-agency",
        0.3,
        (_TOOL_VERB, ("tool", "function", "plugin", "_", "you have")),
        rx(
            r"(?:call|invoke|execute|run|use|trigger|using|via|with) (?:the |your )?`?(?:[a-z]+_[a-z_]+|[\w.-]{2,30} "
            r"(?:tool|function|plugin))`?\b|you have (?:a |access to (?:a |the )?)?(?:tool|function|plugin)s? "
            r"(?:called|named)"
        ),
    ),
    (
        "destructive-command",
        "excessive-agency",
        0.3,
        (("rm ", "drop ", "truncate", "delete from", "format c", "mkfs", "del /", "shutdown"),),
        rx(
            r"\brm\s+-\w*[rf]|\bdrop\s+(?:table|database|schema)\b|\btruncate\s+table\b|\bdelete\s+from\s+\w+\s*"
            r"(?:;|$|`)|\bformat\s+c:|\bmkfs\b|\bdel\s+/[fsq]|\bshutdown\s+[-/]"
        ),
    ),
    (
        "before-answering",
        "excessive-agency",
        0.25,
        (("before", "then tell me", "then say", "without asking", "without telling", "first,"),),
        rx(
            r"before (?:you )?(?:answer|answering|reply|replying|respond|responding)|then (?:tell me|say) (?:that )?"
            r"(?:it (?:worked|succeeded|was done)|you did nothing|nothing happened)|"
            r"without (?:asking|telling|confirming with) (?:me|the user|anyone)"
        ),
    ),
    (
        "stealth",
        "excessive-agency",
        0.3,
        (("mention", "silently", "secretly", "quietly", "without telling", "nobody", "no one"),),
        rx(
            r"(?:don'?t|do not|never|without) mention(?:ing)? (?:it|this|that|anything)\b|\b(?:silently|secretly|"
            r"quietly)\b|without telling (?:anyone|anybody|them|the user)|(?:nobody|no one) (?:needs|has) to know"
        ),
    ),
    (
        "destructive-tool",
        "excessive-agency",
        0.45,
        (_TOOL_VERB, ("_",)),
        rx(
            r"(?:call|invoke|run|use|execute|trigger)\W{1,3}(?:the )?`?(?:delete|drop|remove|wipe|purge|destroy|"
            r"transfer|send|pay|refund|grant|reset|disable|revoke)_[a-z_]+`?(?: (?:function|tool))?[^.\n]{0,40}?"
            r"\b(?:all|every|each|any)\b"
        ),
    ),
    (
        "internal-target",
        "excessive-agency",
        0.45,
        (("169.254", "metadata", "localhost", "127.0.0.1", "/etc/passwd", ".internal"),),
        rx(r"169\.254\.169\.254|metadata\.google\.internal|/latest/meta-data|/etc/(?:passwd|shadow)|file:///etc/"),
    ),
    (
        "privilege-grant",
        "excessive-agency",
        0.3,
        (("admin", "root", "superuser", "owner", "sudo"),),
        rx(
            r"(?:grant|give|assign|set|make|promote|elevate)\W{1,3}(?:\w+\W{1,3}){0,3}?(?:the\W{1,3})?(?:admin|"
            r"administrator|root|owner|superuser|sudo)\W{1,3}(?:access|rights|privileges|role|permissions)|"
            r"role\W{0,3}=\W{0,3}[\"']?admin"
        ),
    ),
    (
        "mass-action",
        "excessive-agency",
        0.35,
        (("all", "every"),),
        rx(
            r"(?:accept|approve|delete|cancel|decline|forward|close|archive|invite|refund|pay) (?:to )?(?:all|every) "
            r"(?:\w+ )?(?:pending |open |other |unread |outstanding )?(?:invitations?|requests?|tickets?|emails?|"
            r"messages?|payments?|transactions?|orders?|meetings?|invoices?)"
        ),
    ),
    (
        "decode-and-follow",
        "encoding",
        0.55,
        (
            ("decode", "decipher", "translate", "convert", "reverse", "unscramble", "read"),
            ("follow", "execute", " do", "obey", "carry out", "perform", "act on", "run", "comply"),
        ),
        rx(
            r"(?:decode|decipher|translate|convert|reverse|unscramble|read)\W{1,3}(?:this|the following|it|the "
            r"(?:message|text|string))?\W{0,3}(?:from )?(?:base64|base 64|hex|hexadecimal|rot13|rot-13|binary|morse|"
            r"backwards|reversed)?[^.\n]{0,60}(?:and|then)\W{1,3}(?:follow|execute|do|obey|carry out|perform|act on|"
            r"run|comply with)"
        ),
    ),
)
