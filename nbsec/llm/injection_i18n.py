"""Injection cues in French, German, Spanish, Italian and Portuguese (stdlib).

The same moves as the English table (nbsec.llm.injection_rules), in the words those languages use for them:
override the instructions ("ignore les instructions précédentes", "ignoriere alle vorherigen Anweisungen",
"ignora las instrucciones anteriores"), ask for the system prompt, drop the restrictions, send the
conversation to an address, address a note to the assistant. Patterns run on folded text with accents
removed ("précédentes" -> "precedentes"), so text typed with or without accents matches. Only words that
name the model's own instructions count: "ignorez mon email précédent" is not an override.
"""

from __future__ import annotations

from nbsec.llm.injection_rules import Cue, rx

__all__ = ["I18N_CUES"]

_W = r"\W{1,3}"
_DEST = r"(?:[\w.+-]+@[\w-]+\.|https?://|www\.)"

I18N_CUES: tuple[Cue, ...] = (
    (
        "ignore-instructions",
        "prompt-injection",
        0.8,
        (("ignor", "oubli", "tiens pas", "tenez pas", "abstraction", "contourn", "passe outre", "passez outre"),),
        rx(
            rf"(?:ignore[rz]?|oublie[rz]?|ne (?:tiens|tenez|tenir) (?:pas|plus) compte d[eu']s?|fai(?:s|tes) "
            rf"abstraction d[eu']s?|contourne[rz]?|passe[rz]? outre)(?:{_W}(?:toutes?|tous|les|tes|vos|ton|votre|ta|"
            rf"la|le|des|de|l|ces|leurs?|precedentes?|anterieures?)){{0,4}}{_W}(?:instructions?|consignes?|regles?|"
            r"directives?|restrictions?|prompt|demande de l'utilisateur|programmation|parametres?|limites?)"
        ),
    ),
    (
        "ignore-instructions",
        "prompt-injection",
        0.8,
        (("ignorier", "vergiss", "vergessen", "missacht", "umgeh", "uberschreib", "verwirf", "hore nicht"),),
        rx(
            r"(?:ignoriere|ignorier|ignorieren sie|vergiss|vergessen sie|missachte|missachten sie|umgehe|"
            rf"uberschreibe|verwirf)(?:{_W}(?:alle|deine|ihre|die|der|den|bisherigen|vorherigen|fruheren|obigen|"
            rf"vorigen|bisherige|vorherige|samtliche|jegliche|deiner|ihrer|einfach|sofort)){{0,4}}{_W}(?:anweisungen|"
            r"instruktionen|regeln|richtlinien|vorgaben|befehle|einschrankungen|systemanweisungen|programmierung|"
            r"prompt|anordnungen|aufgabe|anfrage des (?:nutzers|benutzers))"
        ),
    ),
    (
        "ignore-instructions",
        "prompt-injection",
        0.8,
        (
            (
                "ignor",
                "olvid",
                "no sigas",
                "no siga",
                "no obedezcas",
                "hagas caso",
                "omite",
                "descarta",
                "dimentic",
                "trascur",
                "non seguire",
                "esquec",
                "desconsider",
                "nao siga",
            ),
        ),
        rx(
            r"(?:ignora|ignore|ignorar|ignorate|olvida|olvide|olvidar|no (?:sigas|siga|obedezcas|hagas caso (?:a|de)|"
            r"tengas en cuenta)|omite|descarta|dimentica|trascura|non seguire|esqueca|esquece|desconsidere|nao siga)"
            rf"(?:{_W}(?:todas|todos|tutte|tutti|las|los|le|gli|i|il|as|os|tus|sus|su|tu|tue|tuoi|suas|seus|tuas|"
            rf"teus|la|el|de|del|anteriores|previas|precedenti|anterior)){{0,4}}{_W}(?:instrucciones|reglas|normas|"
            r"directrices|indicaciones|restricciones|peticion del usuario|solicitud del usuario|pedido del usuario|"
            r"prompt|programacion|istruzioni|regole|direttive|indicazioni|restrizioni|richiesta dell'utente|instrucoes|"
            r"regras|diretrizes|orientacoes|restricoes|pedido do usuario)"
        ),
    ),
    (
        "prompt-extraction",
        "system-prompt-extraction",
        0.7,
        (
            (
                "prompt",
                "instruction",
                "consigne",
                "message",
                "regle",
                "anweisung",
                "instruktion",
                "regeln",
                "vorgabe",
                "mensaje",
                "instruccion",
                "reglas",
                "istruzion",
                "messaggio",
                "regole",
                "instruc",
                "mensagem",
                "regras",
                "systemnachricht",
            ),
        ),
        rx(
            r"(?:affiche[rz]?|montre[rz]?|revele[rz]?|donne[rz]?|repete[rz]?|ecris|ecrivez|imprime[rz]?|dis|dites|"
            r"divulgue[rz]?|tradui[st]|traduisez|recite[rz]?|zeige?|gib|nenne|verrate|wiederhole|drucke|schreibe|"
            r"ubersetze|sag|muestra|muestrame|revela|revelame|dime|dame|imprime|repite|escribe|ensename|traduce|"
            r"comparte|mostra|mostrami|rivela|rivelami|dimmi|stampa|ripeti|scrivi|traduci|mostre|revele|diga|"
            rf"imprima|repita|escreva|traduza)(?:{_W}(?:moi|mir|me|nous|uns))?(?:{_W}(?:ton|ta|tes|votre|vos|le|la|"
            rf"les|l|deinen|deine|dein|den|die|das|ihren|ihre|tu|tus|su|sus|el|las|los|il|tuo|tua|tue|tuoi|o|a|os|as|"
            r"seu|sua|seus|suas|teu|tua)){1,2}\W{0,3}(?:(?:prompt|message|messaggio|mensaje|mensagem|instructions?|"
            r"consignes|instrucciones|istruzioni|instrucoes|anweisungen|instruktionen)\W{1,3}(?:du |de |del |di |do "
            r"|de la )?(?:systeme|sistema|system|initiales?|iniciales|iniziali|iniciais|cachees?|ocultas|nascoste|"
            r"secretes?|secretas|segrete|originales?|originali|originais)|system[- ]?prompt|systemanweisungen?|"
            r"systemnachricht|anfangsanweisungen|prompt)"
        ),
    ),
    (
        "role-reassignment",
        "prompt-injection",
        0.3,
        (("tu es", "vous etes", "du bist", "eres", "sei ", "voce e", "agora e"),),
        rx(
            r"(?:tu es|vous etes) (?:maintenant|desormais|a present)|du bist (?:jetzt|nun|ab sofort|ab jetzt)|"
            r"(?:ahora eres|eres ahora|a partir de ahora eres)|(?:ora sei|adesso sei|da ora sei)|"
            r"(?:agora voce e|voce agora e|a partir de agora voce e)"
        ),
    ),
    (
        "no-restrictions",
        "jailbreak",
        0.4,
        (("sans", "ohne", "sin ", "senza", "sem "),),
        rx(
            r"\b(?:sans (?:aucune?s? )?(?:restrictions?|limites?|filtres?|censure|regles?)|ohne (?:jegliche |alle "
            r"|irgendwelche )?(?:einschrankungen|regeln|filter|grenzen|zensur|beschrankungen)|sin (?:ninguna |ningun "
            r")?(?:restricciones|limites|filtros|censura|reglas)|senza (?:alcuna |alcun )?(?:restrizioni|limiti|"
            r"filtri|censura|regole)|sem (?:nenhuma )?(?:restricoes|limites|filtros|censura|regras))\b"
        ),
    ),
    (
        "exfiltration",
        "exfiltration",
        0.7,
        (("@", "http", "www."),),
        rx(
            r"(?:envoie[rz]?|transmets|transmettez|transfere[rz]?|partage[rz]?|sende|schicke|ubermittle|leite|"
            r"envia|envie|manda|reenvia|transmite|comparte|invia|inoltra|trasmetti|condividi|encaminhe|compartilhe)"
            r"\W{1,3}(?:\w+\W{1,3}){0,6}?(?:historique|conversation|donnees|informations|mots? de passe|prompt|cles?|"
            r"chatverlauf|verlauf|konversation|unterhaltung|daten|passworter|gesprach|historial|conversacion|datos|"
            r"informacion|contrasenas?|claves?|cronologia|conversazione|dati|informazioni|password|historico|"
            rf"conversa|dados|senhas?)\W(?:\w+\W{{1,3}}){{0,6}}?(?:a|vers|sur|an|zu|nach|al|hacia|para|per)\W{{1,3}}"
            rf"{_DEST}"
        ),
    ),
    (
        "addressed-to-ai",
        "prompt-injection",
        0.55,
        (("assistant", "asistente", "assistente", "l'ia", "la ia", "die ki", "der ki", "modele", "modelo"),),
        rx(
            r"(?:note|message|remarque|nota|mensaje|messaggio|mensagem|hinweis|nachricht) (?:pour|a|para|per|fur|an) "
            r"(?:l'|le |la |el |il |o |a |den |die |der )?(?:ia|assistant|asistente|assistente|ki|modele|modelo|"
            r"modello|chatbot|agent|agente)|a l'attention de l'(?:ia|assistant)"
        ),
    ),
)
