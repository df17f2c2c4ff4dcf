"""The project's vocabulary: every akg: IRI used in code comes from here.

>>> from graph.namespace import AKG
>>> str(AKG.dependsOn)
'https://w3id.org/alignkg#dependsOn'
"""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, XSD, DefinedNamespace


class AKG(DefinedNamespace):
    """alignkg vocabulary (classes, properties and verdicts of ontology/schema.ttl)."""

    _NS = Namespace("https://w3id.org/alignkg#")
    _fail = True

    # classes
    Entity: object
    Proposal: object
    Technique: object
    Concept: object
    Assumption: object
    FailureMode: object
    Criterion: object
    ProposalCriterion: object
    StoryCriterion: object
    Evaluation: object
    Verdict: object
    TrainingStory: object
    StoryComponent: object
    TrainingGoalClass: object
    TrainingRationaleClass: object
    Source: object
    Section: object
    Qualification: object
    Route: object
    # verdicts
    Likely: object
    Unlikely: object
    Open: object
    NotAimedAt: object
    LeansPositive: object
    LeansNegative: object
    Conditional: object
    # dependency relations
    dependsOn: object
    usesTechnique: object
    assumes: object
    limitsTo: object
    requires: object
    concerns: object
    # other relations
    variantOf: object
    contrastedWith: object
    similarTo: object
    mitigates: object
    vulnerableTo: object
    # qualified relations and provenance
    qualifiedRelation: object
    relation: object
    target: object
    inSection: object
    rationale: object
    derived: object
    # evaluations
    evaluates: object
    onCriterion: object
    verdict: object
    hingesOn: object
    namesFailureMode: object
    verdictRationale: object
    sameJudgementAs: object
    fitsPoorly: object
    # routes
    hasRoute: object
    routeHinge: object
    throughLimit: object
    preferred: object
    # descriptive
    number: object
    analysedInSource: object
    heading: object
    # training stories
    hasTrainingStory: object
    goalSpecification: object
    goalDesirability: object
    rationaleConstraints: object
    rationaleNudges: object
    goalClass: object
    rationaleClass: object
    hasExample: object
    adaptedFrom: object
    inStoryTerms: object
    givesFeedbackDuringTraining: object
    isAgent: object
    assesses: object


ONTOLOGY_IRI = "https://w3id.org/alignkg"

#: Prefixes bound in every SPARQL query and used to shorten IRIs for display.
PREFIXES = {
    "akg": AKG._NS,
    "rdf": RDF._NS,
    "rdfs": RDFS._NS,
    "owl": OWL._NS,
    "xsd": XSD._NS,
    "skos": SKOS._NS,
    "dcterms": DCTERMS._NS,
    "prov": PROV._NS,
    "sh": SH._NS,
}

#: rdf:type of an entity -> the kind name users type (``list KIND``).
KINDS = {
    AKG.Proposal: "proposal",
    AKG.Technique: "technique",
    AKG.Concept: "concept",
    AKG.Assumption: "assumption",
    AKG.FailureMode: "failure-mode",
    AKG.Criterion: "criterion",
    AKG.Evaluation: "evaluation",
    AKG.TrainingStory: "training-story",
    AKG.StoryComponent: "story-component",
    AKG.TrainingGoalClass: "training-goal",
    AKG.TrainingRationaleClass: "training-rationale",
    AKG.Source: "source",
    AKG.Section: "section",
    AKG.Route: "route",
}
