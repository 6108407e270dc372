"""Rules of the adversarial test runners (stdlib + nbsec.model only: `nbsec rules` lists them without torch).

Samples describe a model and data a test can build: the demo workspace's models
(`nbsec demo`) under the settings named in the sample.
"""

from __future__ import annotations

from nbsec.model import Confidence, Rule, Severity, reference

SCANNER = "adversarial"

ATLAS_EVADE = reference("MITRE ATLAS", "AML.T0015")  # Evade AI Model
ATLAS_CRAFT = reference("MITRE ATLAS", "AML.T0043")  # Craft Adversarial Data
ATLAS_BACKDOOR_TRIGGER = reference("MITRE ATLAS", "AML.T0043.004")  # Insert Backdoor Trigger
ATLAS_POISON_DATA = reference("MITRE ATLAS", "AML.T0020")  # Poison Training Data
ATLAS_POISON_MODEL = reference("MITRE ATLAS", "AML.T0018.000")  # Poison AI Model
ATLAS_MEMBERSHIP = reference("MITRE ATLAS", "AML.T0024.000")  # Infer Training Data Membership
ATLAS_HARDENING = reference("MITRE ATLAS", "AML.M0003")  # Model Hardening
ATLAS_SANITIZE = reference("MITRE ATLAS", "AML.M0007")  # Sanitize Training Data
OWASP_ML01 = reference("OWASP ML Top 10", "ML01:2023")  # Input Manipulation Attack
OWASP_ML02 = reference("OWASP ML Top 10", "ML02:2023")  # Data Poisoning Attack
OWASP_ML04 = reference("OWASP ML Top 10", "ML04:2023")  # Membership Inference Attack
OWASP_ML10 = reference("OWASP ML Top 10", "ML10:2023")  # Model Poisoning
NIST_SECURITY = reference("NIST AI RMF", "MEASURE 2.7")  # security and resilience evaluated
NIST_PRIVACY = reference("NIST AI RMF", "MEASURE 2.10")  # privacy risk examined
EU_ROBUSTNESS = reference("EU AI Act", "Art. 15")  # accuracy, robustness and cybersecurity

LOW_ROBUST_ACCURACY = Rule(
    id="NBSEC-ADV-001",
    title="Robust accuracy below the floor",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    category="adversarial robustness",
    scanner=SCANNER,
    description=(
        "Under the worst case of the attack suite (each sample counts as broken when any attack breaks it), "
        "the model's accuracy at a perturbation budget epsilon falls below the configured floor. Severity "
        "grows with the drop from clean accuracy: 50 points or more is high, 25 or more medium, less low."
    ),
    remediation=(
        "Harden the model for the threat model you claim: adversarial training (PGD-AT, TRADES) at that "
        "epsilon, input-space constraints, or a smaller claimed epsilon; re-run the evaluation and keep the "
        "report with the model card."
    ),
    references=(ATLAS_EVADE, ATLAS_CRAFT, ATLAS_HARDENING, OWASP_ML01, NIST_SECURITY, EU_ROBUSTNESS),
    sample_trigger="demo digits CNN (models/digits_cnn.pt), linf epsilon 0.2, floor 0.5",
    sample_clean="demo digits CNN (models/digits_cnn.pt), linf epsilon 0.02, floor 0.5",
)

GRADIENT_MASKING = Rule(
    id="NBSEC-ADV-002",
    title="Robustness evaluation unreliable (gradient masking suspected)",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    category="adversarial robustness",
    scanner=SCANNER,
    description=(
        "A sanity check of the evaluation failed: robust accuracy rose with epsilon or with more attack steps, "
        "a gradient-free attack beat a gradient attack by a wide margin, an unbounded epsilon did not drive "
        "accuracy to about zero, or the loss gradient is exactly zero for many inputs. Gradient attacks then "
        "overstate robustness (a model with logits scaled by 1e4 looks 97% robust to plain PGD)."
    ),
    remediation=(
        "Trust only the worst case over a diverse ensemble (APGD-CE, APGD-T with the scale-invariant DLR loss, "
        "Square); remove output saturation, non-differentiable preprocessing or randomness from the evaluated "
        "model (or attack it with BPDA/EoT), and do not claim robustness from CE-gradient attacks alone."
    ),
    references=(ATLAS_EVADE, ATLAS_CRAFT, OWASP_ML01, NIST_SECURITY, EU_ROBUSTNESS),
    sample_trigger="demo digits CNN with its logits multiplied by 1e4, linf epsilons 0.1 and 0.2",
    sample_clean="demo digits CNN (models/digits_cnn.pt), linf epsilons 0.1 and 0.2",
)

NONDETERMINISTIC_MODEL = Rule(
    id="NBSEC-ADV-003",
    title="Model outputs change between identical calls in eval mode",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    category="adversarial robustness",
    scanner=SCANNER,
    description=(
        "The same inputs gave different logits on two calls with the model in eval mode (dropout at inference, "
        "random preprocessing, a randomized defense). Single-run attacks and robust accuracy are then "
        "unreliable: a randomized model can look robust to an attack that is not averaged over its randomness."
    ),
    remediation=(
        "Evaluate the deterministic model, or attack the randomized one with expectation over transformation "
        "(average gradients over several calls) and report accuracy over repeated predictions."
    ),
    references=(ATLAS_EVADE, OWASP_ML01, NIST_SECURITY),
    sample_trigger="demo digits CNN followed by Dropout(0.5) that stays active in eval mode",
    sample_clean="demo digits CNN (models/digits_cnn.pt)",
)

POISONED_SAMPLES = Rule(
    id="NBSEC-ADV-004",
    title="Training samples look poisoned (backdoor suspected)",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    category="data poisoning",
    scanner=SCANNER,
    description=(
        "In one class of the training set, the model's penultimate-layer activations split into a compact "
        "minority cluster (activation clustering, with the spectral signature ranking the same samples), and "
        "that cluster shares a fixed input patch the rest of the class lacks, or separates unusually cleanly. "
        "This is the footprint of a backdoor: samples from other classes stamped with a trigger and relabelled."
    ),
    remediation=(
        "Inspect the flagged samples (indices in the evidence); remove or relabel the poisoned ones, retrain, "
        "and check the retrained model with the trigger test. Trace where those samples entered the data set."
    ),
    references=(ATLAS_POISON_DATA, ATLAS_POISON_MODEL, ATLAS_SANITIZE, OWASP_ML02, NIST_SECURITY, EU_ROBUSTNESS),
    sample_trigger="demo backdoored CNN (models/digits_cnn_backdoor.pt) over its poisoned training set",
    sample_clean="demo digits CNN (models/digits_cnn.pt) over its clean training set",
)

BACKDOOR_TRIGGER = Rule(
    id="NBSEC-ADV-005",
    title="A trigger patch flips predictions to one class",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    category="data poisoning",
    scanner=SCANNER,
    description=(
        "Stamping the given patch on held-out inputs of other classes makes the model predict one class for "
        "at least the configured share of them: the model carries a working backdoor for that trigger."
    ),
    remediation=(
        "Do not deploy this model. Find and remove the poisoned training data (run the poisoning detector), "
        "retrain from a trusted checkpoint, and verify the trigger no longer works."
    ),
    references=(ATLAS_BACKDOOR_TRIGGER, ATLAS_POISON_MODEL, OWASP_ML10, OWASP_ML02, NIST_SECURITY, EU_ROBUSTNESS),
    sample_trigger="demo backdoored CNN (models/digits_cnn_backdoor.pt), 2x2 bottom-right patch of 1.0",
    sample_clean="demo digits CNN (models/digits_cnn.pt), 2x2 bottom-right patch of 1.0",
)

MEMBERSHIP_LEAK = Rule(
    id="NBSEC-PRIV-002",
    title="Model leaks training-set membership",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category="privacy",
    scanner=SCANNER,
    description=(
        "A membership-inference attack (loss threshold or confidence) tells training samples from unseen ones "
        "better than the configured limits: ROC AUC at or above the AUC threshold, or a true-positive rate at "
        "1% false positives far above 1%. Whoever can query the model learns who was in its training data."
    ),
    remediation=(
        "Reduce overfitting (more data, weight decay, early stopping, augmentation), train with differential "
        "privacy (DP-SGD) where membership is sensitive, and expose labels or rounded scores instead of raw "
        "confidences."
    ),
    references=(ATLAS_MEMBERSHIP, OWASP_ML04, NIST_PRIVACY, EU_ROBUSTNESS),
    sample_trigger="demo overfit CNN (models/digits_cnn_overfit.pt): its 100 members vs the test split",
    sample_clean="demo digits CNN (models/digits_cnn.pt): its training split vs the test split",
)

RULES: tuple[Rule, ...] = (
    LOW_ROBUST_ACCURACY,
    GRADIENT_MASKING,
    NONDETERMINISTIC_MODEL,
    POISONED_SAMPLES,
    BACKDOOR_TRIGGER,
    MEMBERSHIP_LEAK,
)
