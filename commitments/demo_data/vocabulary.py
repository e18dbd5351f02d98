"""What the demo rows are made of: the fixed calendar, the word lists, the weights and shares of
the distributions, and the field order of each table's rows (the writer maps fields to columns).

Data only: no functions, no randomness, no database.
"""

from datetime import date

# --- fixed calendar: nothing depends on the day the generator runs ---------------------------

LAST_DAY = date(2025, 12, 31)  # no as-of, publication or evidence date after this
MADE_FROM, MADE_TO = date(2010, 1, 1), date(2025, 9, 30)
DUE_FROM, DUE_TO = date(2015, 1, 1), date(2030, 12, 31)

# --- word lists ------------------------------------------------------------------------------

THEMES = [
    "P/CVE", "Border management", "Terrorism financing", "Returnees and reintegration", "Rule of law",
    "Criminal justice reform", "Prison radicalisation", "Online radicalisation", "Anti-money laundering",
    "Drug trafficking", "Police cooperation", "Information sharing", "Youth engagement", "Cybersecurity",
    "Human trafficking", "Judicial cooperation", "Women, peace and security", "Community policing",
    "Small arms control", "Civil society", "Human rights", "Education", "Regional cooperation",
    "Afghanistan spillover", "Migration management", "Anti-corruption", "Aviation security",
    "Critical infrastructure protection", "Crisis response", "Media literacy", "Religious freedom",
    "Chemical and biological risks", "Nuclear security", "Water security", "Good governance",
    "Economic resilience", "Energy connectivity", "Transport connectivity", "Digital connectivity",
    "Climate security",
]  # fmt: skip

COUNTRIES = [
    ("kz", "Kazakhstan"), ("uz", "Uzbekistan"), ("kg", "Kyrgyzstan"), ("tj", "Tajikistan"),
    ("tm", "Turkmenistan"), ("af", "Afghanistan"), ("ru", "Russia"), ("cn", "China"), ("tr", "Türkiye"),
    ("pk", "Pakistan"), ("ir", "Iran"), ("in", "India"), ("de", "Germany"), ("fr", "France"), ("it", "Italy"),
]  # fmt: skip

INTERNATIONAL_ACTORS = [
    "European Commission", "EEAS", "EU Member States", "Council of the EU", "European Parliament", "Europol",
    "Eurojust", "CEPOL", "Frontex", "UNODC", "UNOCT", "UNDP", "UNRCCA", "UNICEF", "UNHCR", "IOM", "OSCE",
    "OSCE Programme Office in Bishkek", "OSCE Programme Office in Dushanbe", "FATF", "Eurasian Group (EAG)",
    "World Bank", "Asian Development Bank", "EBRD", "EIB", "Council of Europe", "NATO", "Interpol", "GCTF",
    "Hedayah", "GCERF", "CAREC Institute", "BOMCA", "CADAP", "LEICA", "ICRC", "Saferworld", "International Alert",
    "Search for Common Ground", "Penal Reform International", "UN Women", "UNESCO", "WCO", "ILO", "OHCHR",
]  # fmt: skip
NATIONAL_BODIES = [
    "Ministry of Interior", "Ministry of Foreign Affairs", "Ministry of Justice", "State Security Committee",
    "Border Service", "Financial Monitoring Agency", "Prosecutor General's Office", "Ministry of Education",
    "Ministry of Health", "Ministry of Labour",
]  # fmt: skip
ACTOR_COUNT = 200

VERBS = [
    "Deploy", "Establish", "Strengthen", "Expand", "Launch", "Support", "Fund", "Train", "Develop", "Upgrade",
    "Review", "Adopt", "Harmonise", "Set up", "Finance", "Pilot", "Scale up", "Coordinate", "Reform", "Build",
]  # fmt: skip
ADJECTIVES = [
    "regional", "national", "joint", "dedicated", "cross-border", "community-based", "specialised", "mobile",
    "digital", "integrated", "multi-year", "independent", "permanent", "local", "EU-funded",
]  # fmt: skip
NOUNS = [
    "expert network", "training programme", "referral mechanism", "rehabilitation centres", "border posts",
    "financial intelligence unit", "risk analysis system", "exchange of good practice", "legal framework",
    "data-sharing platform", "monitoring mission", "prevention strategy", "helpline", "grant scheme",
    "research centre", "working group", "curriculum", "task force", "action plan", "inspection regime",
    "liaison office", "dialogue platform", "case management system", "mentoring scheme", "screening procedure",
]  # fmt: skip
PURPOSES = [
    "to counter violent extremism", "to cut off terrorism financing", "to reintegrate returning families",
    "to secure the border with Afghanistan", "to prevent radicalisation in prisons",
    "to protect critical infrastructure", "to disrupt trafficking routes", "to support young people at risk",
    "to improve information exchange", "to bring legislation in line with international standards",
    "to strengthen community resilience", "to support victims of terrorism",
]  # fmt: skip
PARTIES = [
    "The EU", "The EU and its Member States", "The European Commission", "The partners",
    "The EU and the Central Asian states", "The Central Asian governments",
]  # fmt: skip
STATUS_PHRASES = {
    "not_started": [
        "No public sign that work has begun", "Nothing announced beyond the original pledge",
        "Partners report no activity so far", "The budget line has not been opened",
    ],
    "in_progress": [
        "Work is under way", "A first phase has started", "Recruitment of staff has begun",
        "Pilot activities are running in two regions", "Funding was contracted and activities started",
        "A second phase was announced after an interim review",
    ],
    "stalled": [
        "Activities paused after the first phase", "Work stopped pending a new agreement",
        "Funding lapsed and was not renewed", "Partners report the project is on hold",
    ],
    "partially_achieved": [
        "Delivered in part", "Two of the planned components are in place",
        "Delivered in a weaker form than promised", "Operating in some countries but not all",
    ],
    "achieved": [
        "Delivered as committed", "Fully operational according to the final report", "Completed and evaluated",
        "In place across the region",
    ],
    "abandoned": [
        "Dropped from the work programme", "Formally cancelled by the partners",
        "No longer deliverable after the mandate ended", "Replaced by a different initiative",
    ],
}  # fmt: skip
DETAILS = ["according to", "as reported by", "per a statement by", "in the annual report of", "confirmed by"]
DOC_TYPES = ["press release", "annual report", "project page", "evaluation", "news article", "statement", "factsheet"]
INDICATES = {  # what each status's evidence shows: the kind its rule asks for (``status.EVIDENCE_RULES``)
    "not_started": "announced",
    "in_progress": "under way",
    "stalled": "under way",
    "partially_achieved": "under way",
    "achieved": "done",
    "abandoned": "dropped",
}
# The current status of assessed commitments: most in progress, fewer achieved, stalled, abandoned.
FINAL_STATUSES = ["in_progress", "not_started", "partially_achieved", "stalled", "achieved", "abandoned"]
FINAL_WEIGHTS = [45, 15, 14, 10, 10, 6]
# The way a commitment usually gets to its final status (earlier updates walk along this path).
PATHS = {
    "not_started": [],
    "in_progress": ["not_started"],
    "stalled": ["not_started", "in_progress"],
    "partially_achieved": ["not_started", "in_progress"],
    "achieved": ["not_started", "in_progress", "partially_achieved"],
    "abandoned": ["in_progress", "stalled"],
}
NO_UPDATES_SHARE = 0.2  # commitments never assessed (besides those whose updates are all drafts)
DRAFT_UPDATE_SHARE = 0.05
DRAFT_COMMITMENT_SHARE, ARCHIVED_COMMITMENT_SHARE = 0.01, 0.01
DUE_DATE_SHARE = 0.6
CONTRADICTS_SHARE = 0.12
# Of commitments with two or more countries, those assessed per country; of their countries, those with
# country updates (the others stay "not assessed" there).
PER_COUNTRY_SHARE = 0.2
COUNTRY_ASSESSED_SHARE = 0.6
SOURCE_KINDS = [  # Source.Kind values, most common first
    "news report", "council conclusions", "conference statement", "programme document", "declaration", "strategy",
]  # fmt: skip
STATEMENT_TYPES = ["pledge", "programme-objective", "stated-priority", "agreement", "proposal"]
CONFIDENCES = ["medium", "high", "low"]
CONFIDENCE_WEIGHTS = [55, 25, 20]

# --- tables and columns (field names; the writer maps them to columns) -----------------------

THEME_FIELDS = COUNTRY_FIELDS = ACTOR_FIELDS = ("id", "slug", "name", "is_synthetic")
SOURCE_FIELDS = ("id", "slug", "title", "issuer", "date", "date_note", "kind", "url", "notes", "is_synthetic")
COMMITMENT_FIELDS = (
    "id", "slug", "title", "quote", "quote_context", "location", "statement_type", "scope_note", "date_made",
    "date_note", "due_date", "due_text", "actors_basis", "actors_note", "other_countries", "countries_note",
    "research_note", "state", "current_status", "current_status_date", "created_at", "updated_at",
    "attributed_to", "source", "is_synthetic", "known_since", "assessment_scope",
)  # fmt: skip
UPDATE_FIELDS = (
    "id", "commitment", "status", "as_of", "summary", "confidence", "published_at", "published_by", "created_by",
    "created_at", "updated_at", "is_synthetic", "country",
)  # fmt: skip
COUNTRY_STATUS_FIELDS = ("id", "commitment", "country", "status", "status_date", "update")
EVIDENCE_FIELDS = (
    "id", "commitment", "status_update", "title", "publisher", "date", "url", "document", "stance", "indicates",
    "description", "quote", "note", "is_synthetic",
)  # fmt: skip
M2M_FIELDS = ("id", "commitment_id", "target_id")  # the target column is named per relation by the writer
