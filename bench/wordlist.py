"""Fixed vocabulary for the synthetic archive generator.

Kept in its own module so that the generator stays readable and so that the
vocabulary is part of the generator's fingerprint (``bench/run.py`` hashes both
files to decide whether a cached archive is still valid). The words are chosen
to look like the domain Gazette is built for (standards, regulation, energy,
networks, manufacturing, transport) so that Markdown rendering, slugging and
any text processing see realistic word lengths and character mixes.

About 1,100 base words; with the regular plural and verb forms the generator
derives, sentences draw from roughly 2,000 distinct surface words.
"""

from __future__ import annotations


def _tokens(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated block, keeping repeats (they act as weights)."""
    return tuple(text.split())


def _words(text: str) -> tuple[str, ...]:
    """Split a whitespace-separated block into a de-duplicated, ordered tuple."""
    return tuple(dict.fromkeys(_tokens(text)))


NOUNS = _words(
    """
    standard standardisation regulation regulator rule law directive decree measure
    notice circular guideline guidance policy plan programme strategy framework roadmap
    catalogue list specification requirement provision clause article annex amendment
    revision draft consultation comment submission proposal review evaluation assessment
    inspection audit certification certificate accreditation registration licence permit
    approval authorisation conformity compliance enforcement penalty sanction liability
    obligation exemption derogation deadline timeline schedule milestone implementation
    transition pilot trial test laboratory method procedure protocol process mechanism
    system platform portal database register inventory index indicator metric benchmark
    threshold limit target objective goal priority principle criterion definition scope
    ministry administration agency bureau commission committee council authority
    association alliance consortium federation institute academy centre secretariat
    delegation government province municipality city region district county state market
    industry sector enterprise company firm manufacturer supplier vendor operator producer
    importer exporter distributor retailer consumer user stakeholder expert member
    participant observer partner investor official minister director chairman secretary
    spokesperson representative researcher engineer scientist lawyer auditor inspector
    energy electricity power grid battery cell charger station fuel gas oil coal hydrogen
    reactor turbine wind panel module inverter storage emission carbon dioxide methane
    pollutant pollution waste water air soil climate efficiency consumption demand supply
    capacity generation transmission distribution load meter tariff price subsidy
    incentive quota allowance credit offset footprint neutrality peak recycling reuse
    recovery material resource mineral metal steel aluminium copper lithium cobalt nickel
    plastic packaging chemical substance solvent fertiliser pesticide residue additive
    network telecom broadband spectrum frequency antenna terminal device smartphone
    handset chip semiconductor processor memory sensor software hardware firmware
    application interface algorithm data dataset cloud server computing encryption
    cryptography cybersecurity security privacy identity authentication signature
    blockchain ledger internet website domain address router switch cable fibre satellite
    navigation positioning camera display screen video audio broadcast television radio
    machinery machine tool robot robotics automation factory plant workshop production
    assembly component part product equipment instrument apparatus appliance boiler
    vessel pipeline valve pump compressor engine motor gearbox bearing welding casting
    coating textile garment toy furniture food beverage cosmetic drug medicine hospital
    patient vehicle car truck bus coach trailer tractor motorcycle bicycle railway train
    locomotive metro tram aircraft airport aviation drone ship port harbour container
    logistics freight cargo road highway bridge tunnel traffic driver passenger safety
    airbag tyre brake seat lamp mirror year month quarter week day period decade session
    meeting conference forum workshop seminar symposium summit dialogue exchange
    cooperation collaboration partnership agreement memorandum treaty negotiation trade
    export import customs border investment growth economy development innovation
    research technology science knowledge skill training education talent quality
    reliability durability performance capability competitiveness productivity cost
    benefit impact risk hazard incident accident failure defect recall complaint dispute
    court judgment case example instance field area topic issue question answer problem
    solution approach practice experience lesson result outcome effect trend pattern
    change shift reform upgrade transformation modernisation digitalisation integration
    harmonisation alignment convergence divergence difference gap barrier obstacle
    challenge opportunity advantage concern position view opinion statement report study
    survey analysis overview summary paper document text version edition chapter section
    paragraph table figure chart appendix reference source link website bulletin
    newsletter journal magazine press media announcement release interview speech address
    keynote panel debate discussion workgroup taskforce subcommittee board office unit
    division department branch network hub cluster zone park base corridor belt route
    channel pathway gateway window mechanism tool instrument lever driver enabler pillar
    foundation cornerstone backbone infrastructure facility site location venue campus
    building structure housing construction cement concrete glass timber brick insulation
    heating cooling ventilation lighting elevator escalator boiler heater refrigerator
    washer dryer oven kettle charger adapter plug socket connector wire harness fuse
    breaker transformer substation feeder converter rectifier capacitor resistor diode
    transistor wafer foundry packaging testing yield node architecture design layout
    blueprint prototype sample specimen batch lot shipment consignment delivery order
    contract tender procurement purchase sale revenue profit margin budget fund grant
    loan bond share stake equity asset portfolio valuation ranking rating score grade
    level tier class category type kind family series range line model variant
    configuration option feature function capability service maintenance repair upgrade
    lifecycle lifetime warranty label marking logo mark symbol code number identifier
    serial tag barcode chipset module controller actuator valve cylinder hose nozzle
    filter membrane catalyst electrolyte anode cathode separator pack enclosure casing
    frame chassis body wheel axle suspension steering transmission clutch exhaust
    radiator headlamp bumper windscreen dashboard cockpit cabin deck hull propeller rotor
    blade tower foundation mooring cable pipeline terminal wharf berth quay crane
    forklift pallet warehouse depot yard hub corridor checkpoint crossing junction
    interchange carriageway lane pavement kerb signal sign marking barrier guardrail
    ecosystem biodiversity forest wetland river lake coast ocean reservoir dam irrigation
    agriculture farm crop seed livestock fishery aquaculture grain rice wheat maize soybean
    cotton tea fruit vegetable meat dairy egg honey sugar salt spice flavour ingredient
    nutrition label allergen contaminant toxin pathogen bacterium virus vaccine diagnosis
    therapy treatment clinic pharmacy prescription dosage trial outcome efficacy
    biosimilar generic formulation excipient implant prosthesis catheter syringe glove
    mask gown ventilator monitor scanner imaging ultrasound laser optics lens sensor
    detector gauge calibration measurement metrology unit tolerance accuracy precision
    uncertainty traceability verification validation qualification commissioning
    handover acceptance operation shutdown outage blackout restoration resilience
    redundancy backup contingency emergency response preparedness warning alert forecast
    projection scenario pathway trajectory baseline peak plateau decline rebound recovery
    surge slowdown downturn expansion contraction inflation deflation currency exchange
    """
)

PROPER_NOUNS = _words(
    """
    China Europe Beijing Shanghai Shenzhen Guangdong Jiangsu Zhejiang Shandong Sichuan
    Hubei Tianjin Chongqing Brussels Geneva Hangzhou Suzhou Wuhan Xiamen Qingdao Dalian
    Germany France Italy Spain Poland Sweden Finland Denmark Austria Belgium Netherlands
    Japan Korea Singapore Vietnam Indonesia Thailand Malaysia India Brazil Mexico Canada
    """
)

ADJECTIVES = _words(
    """
    national international regional local provincial municipal central global domestic
    foreign European Chinese mandatory voluntary recommended compulsory binding technical
    industrial commercial economic financial legal regulatory administrative new revised
    updated amended draft final preliminary interim provisional temporary permanent annual
    quarterly monthly strategic operational digital electronic electric electrical
    mechanical chemical biological physical environmental green clean sustainable circular
    renewable efficient intelligent smart connected autonomous automated advanced modern
    traditional conventional emerging innovative strategic critical essential key major
    minor significant substantial considerable limited broad narrow specific general
    common shared joint mutual bilateral multilateral public private open closed secure
    safe reliable robust flexible stable resilient transparent consistent coherent
    comprehensive detailed concrete practical effective competitive fair equal
    reciprocal predictable stringent strict lenient tight loose high low large small long
    short rapid gradual steady slow fast early late recent current future previous former
    upcoming ongoing existing proposed planned expected estimated official unofficial
    formal informal basic fundamental core primary secondary tertiary additional
    supplementary complementary alternative optional standard customised modular
    integrated hybrid wireless mobile fixed optical cellular satellite industrial
    agricultural medical pharmaceutical clinical sanitary hygienic nutritional dietary
    organic synthetic recycled recyclable biodegradable compostable hazardous toxic
    flammable explosive radioactive corrosive harmful benign neutral positive negative
    quantitative qualitative statistical analytical experimental theoretical empirical
    scientific academic educational cultural social political diplomatic geopolitical
    structural systemic institutional organisational sectoral horizontal vertical
    transversal crosscutting upstream downstream midstream onshore offshore coastal
    inland urban rural metropolitan peripheral northern southern eastern western
    leading pioneering landmark flagship benchmark exemplary representative typical
    notable remarkable unprecedented ambitious cautious pragmatic incremental
    """
)

VERBS = _words(
    """
    publish adopt approve revise release require regulate propose consult announce launch
    implement enforce harmonise align update amend introduce establish strengthen improve
    promote support encourage accelerate expand extend reduce limit restrict prohibit allow
    permit enable define specify clarify cover address target include exclude replace
    supersede complement follow review assess evaluate examine inspect audit certify
    accredit register test verify validate monitor measure track report disclose
    submit collect gather compile analyse study explore consider discuss debate negotiate
    sign ratify endorse welcome criticise question challenge oppose defend explain outline
    summarise highlight emphasise stress underline note observe mention cite quote list
    rank score rate benchmark compare contrast combine integrate connect link merge
    separate divide split allocate assign distribute deliver deploy install operate
    maintain repair upgrade modernise digitalise automate standardise simplify streamline
    unify coordinate organise host convene attend join participate contribute invest
    fund finance subsidise reward penalise sanction fine warn alert notify inform
    educate train guide advise recommend suggest urge call request demand expect plan
    prepare draft design develop engineer manufacture produce assemble package label
    export import ship transport store handle process recycle recover dispose replace
    phase retire extend renew postpone delay advance shift transform reshape redefine
    reform restructure consolidate stabilise secure protect safeguard preserve conserve
    save cut lower raise increase boost lift double triple halve cap curb control manage
    govern oversee supervise steer lead chair direct head coordinate represent
    reflect mirror echo signal indicate suggest show reveal demonstrate illustrate prove
    confirm acknowledge recognise accept reject refuse decline withdraw suspend revoke
    cancel terminate conclude complete finish finalise enter start open close continue
    pursue seek aim intend attempt try struggle compete cooperate collaborate partner
    engage interact respond react adjust adapt evolve mature emerge appear remain stay
    """
)

ADVERBS = _words(
    """
    gradually rapidly steadily formally officially jointly recently already further also
    currently previously initially eventually finally largely mainly mostly partly fully
    broadly closely carefully explicitly implicitly effectively efficiently significantly
    substantially considerably slightly sharply strongly firmly clearly publicly quietly
    separately collectively individually nationally regionally locally globally
    """
)

# Repeats are deliberate: they weight "of", "for", "on" and "in" the way English
# prose does, so this one uses ``_tokens``, which keeps them.
PREPOSITIONS = _tokens(
    """
    of of of of for for for on on in in in under with across between through within
    from to by into against among after before during around beyond toward
    """
)

SMALL_TITLE_WORDS = frozenset(
    _tokens(
        """
        a an the of for on in under with across between through within from to by into
        against among after before during around beyond toward and or as at
        """
    )
)
