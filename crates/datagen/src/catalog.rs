//! Word lists the generator draws names from: products, clients, sellers, teams and cities.
//!
//! Kept apart from the generator so the lists can grow without touching the logic. Prices are
//! per sales unit in cents; quantity ranges are per order line, in sales units.

/// A way a product is packed and sold, with the usual unit price and order size.
pub(crate) struct Pack {
    pub label: &'static str,
    pub price_cents: i64,
    /// Usual line quantity range, in sales units (boxes, jars, or kg when `by_weight`).
    pub qty_lo: i64,
    pub qty_hi: i64,
    /// Sold by the kilogram: quantities carry 3 decimal places.
    pub by_weight: bool,
}

/// A product family: a name, its variants and the packs it comes in.
pub(crate) struct Category {
    pub name: &'static str,
    pub variants: &'static [&'static str],
    pub packs: &'static [Pack],
    /// Price of this family relative to its pack's base price, in percent.
    pub price_percent: i64,
}

const fn pack(
    label: &'static str,
    price_cents: i64,
    qty_lo: i64,
    qty_hi: i64,
    by_weight: bool,
) -> Pack {
    Pack {
        label,
        price_cents,
        qty_lo,
        qty_hi,
        by_weight,
    }
}

const CONSERVA_PACKS: &[Pack] = &[
    pack("160g", 590, 12, 480, false),
    pack("300g", 990, 12, 360, false),
    pack("500g", 1490, 12, 300, false),
    pack("Pouch 1,01kg", 2290, 6, 120, false),
    pack("Balde 2kg", 4890, 2, 60, false),
    pack("Lata 2kg", 4290, 2, 60, false),
    pack("Balde 3,6kg", 7990, 1, 40, false),
    pack("Cx 12x500g", 16500, 1, 30, false),
    pack("a Granel (kg)", 2190, 5, 250, true),
];

const MOLHO_PACKS: &[Pack] = &[
    pack("Sachê 7g Cx 144un", 2490, 1, 40, false),
    pack("Sachê 340g", 390, 24, 960, false),
    pack("340g", 690, 12, 480, false),
    pack("Pouch 1,01kg", 1290, 6, 200, false),
    pack("Bisnaga 400g", 590, 12, 480, false),
    pack("Galão 3,6kg", 3890, 2, 80, false),
    pack("Balde 3,2kg", 4490, 2, 60, false),
    pack("Cx 24x340g", 15900, 1, 30, false),
    pack("Bag 5kg", 5990, 1, 40, false),
];

const OLEO_PACKS: &[Pack] = &[
    pack("Vidro 250ml", 990, 12, 360, false),
    pack("Vidro 500ml", 1690, 12, 300, false),
    pack("Pet 750ml", 1190, 12, 360, false),
    pack("Galão 5L", 6490, 1, 40, false),
    pack("Cx 12x500ml", 18900, 1, 25, false),
];

const DOCE_PACKS: &[Pack] = &[
    pack("Pote 400g", 790, 12, 360, false),
    pack("Pote 800g", 1390, 6, 240, false),
    pack("Bisnaga 1kg", 1590, 6, 200, false),
    pack("Balde 4,8kg", 6490, 1, 40, false),
    pack("Cx 24x400g", 17900, 1, 25, false),
    pack("a Granel (kg)", 1890, 5, 200, true),
];

const fn category(
    name: &'static str,
    variants: &'static [&'static str],
    packs: &'static [Pack],
    price_percent: i64,
) -> Category {
    Category {
        name,
        variants,
        packs,
        price_percent,
    }
}

pub(crate) const CATEGORIES: &[Category] = &[
    category(
        "Azeitona Verde",
        &[
            "Inteira",
            "Fatiada",
            "Sem Caroço",
            "Recheada com Pimentão",
            "Recheada com Alho",
            "Graúda",
        ],
        CONSERVA_PACKS,
        100,
    ),
    category(
        "Azeitona Preta",
        &["Inteira", "Fatiada", "Sem Caroço", "Azapa"],
        CONSERVA_PACKS,
        115,
    ),
    category(
        "Palmito Pupunha",
        &["Inteiro", "Picado", "Rodelas", "Banda", "Espaguete"],
        CONSERVA_PACKS,
        150,
    ),
    category(
        "Palmito Açaí",
        &["Inteiro", "Picado", "Rodelas"],
        CONSERVA_PACKS,
        140,
    ),
    category(
        "Pepino em Conserva",
        &["Inteiro", "Fatiado", "Agridoce", "Cornichon"],
        CONSERVA_PACKS,
        80,
    ),
    category(
        "Champignon",
        &["Inteiro", "Fatiado", "Laminado"],
        CONSERVA_PACKS,
        120,
    ),
    category(
        "Cogumelo Shimeji",
        &["Branco", "Preto"],
        CONSERVA_PACKS,
        160,
    ),
    category("Alcaparra", &["Nonpareille", "Capote"], CONSERVA_PACKS, 170),
    category(
        "Pimenta Biquinho",
        &["Vermelha", "Amarela"],
        CONSERVA_PACKS,
        110,
    ),
    category(
        "Pimenta Jalapeño",
        &["Fatiada", "Inteira"],
        CONSERVA_PACKS,
        110,
    ),
    category(
        "Cebolinha em Conserva",
        &["Branca", "Roxa"],
        CONSERVA_PACKS,
        85,
    ),
    category("Tomate Seco", &["em Óleo", "Picado"], CONSERVA_PACKS, 130),
    category("Alcachofra", &["Coração", "Fundo"], CONSERVA_PACKS, 180),
    category("Aspargos", &["Brancos", "Verdes"], CONSERVA_PACKS, 175),
    category(
        "Beterraba em Conserva",
        &["Fatiada", "Cubos"],
        CONSERVA_PACKS,
        70,
    ),
    category(
        "Milho Verde",
        &["Tradicional", "Orgânico"],
        CONSERVA_PACKS,
        60,
    ),
    category(
        "Ervilha",
        &["Tradicional", "Reidratada"],
        CONSERVA_PACKS,
        55,
    ),
    category("Seleta de Legumes", &["Tradicional"], CONSERVA_PACKS, 65),
    category("Grão-de-Bico", &["Cozido"], CONSERVA_PACKS, 75),
    category(
        "Pimentão",
        &["Vermelho Assado", "Amarelo Assado"],
        CONSERVA_PACKS,
        105,
    ),
    category(
        "Molho de Tomate",
        &[
            "Tradicional",
            "Refogado",
            "Manjericão",
            "Pizza",
            "Bolonhesa",
        ],
        MOLHO_PACKS,
        90,
    ),
    category(
        "Extrato de Tomate",
        &["Tradicional", "Concentrado"],
        MOLHO_PACKS,
        95,
    ),
    category("Catchup", &["Tradicional", "Picante"], MOLHO_PACKS, 100),
    category(
        "Mostarda",
        &["Amarela", "Escura", "Dijon"],
        MOLHO_PACKS,
        100,
    ),
    category(
        "Maionese",
        &["Tradicional", "Light", "Temperada"],
        MOLHO_PACKS,
        110,
    ),
    category(
        "Molho Barbecue",
        &["Tradicional", "Defumado"],
        MOLHO_PACKS,
        120,
    ),
    category("Molho Shoyu", &["Tradicional", "Light"], MOLHO_PACKS, 105),
    category(
        "Molho de Pimenta",
        &["Vermelha", "Verde", "Extra Forte"],
        MOLHO_PACKS,
        95,
    ),
    category("Molho Inglês", &["Tradicional"], MOLHO_PACKS, 100),
    category("Vinagre de Vinho", &["Tinto", "Branco"], OLEO_PACKS, 45),
    category("Vinagre de Maçã", &["Tradicional"], OLEO_PACKS, 50),
    category(
        "Azeite de Oliva",
        &["Extra Virgem", "Composto"],
        OLEO_PACKS,
        240,
    ),
    category("Óleo de Girassol", &["Refinado"], OLEO_PACKS, 90),
    category(
        "Doce de Leite",
        &["Cremoso", "Pastoso", "com Coco"],
        DOCE_PACKS,
        110,
    ),
    category("Goiabada", &["Cascão", "Tradicional"], DOCE_PACKS, 80),
    category(
        "Geleia",
        &["de Pimenta", "de Morango", "de Uva"],
        DOCE_PACKS,
        120,
    ),
    category("Leite de Coco", &["Tradicional", "Light"], OLEO_PACKS, 70),
];

/// Appended to product names once every family, variant and pack has been used, so that large
/// catalogues (the scale data set) still have distinct names.
pub(crate) const PRODUCT_LINE_SUFFIXES: &[&str] = &[
    "",
    " Premium",
    " Food Service",
    " Econômica",
    " Exportação",
    " Marca Própria",
];

/// Names with characters that HTML must escape. The page shows product and client names, so the
/// demo carries a few to prove they are escaped; the last one is what the page's XSS test seeks.
pub(crate) const HTML_SPECIAL_PRODUCT_NAMES: &[&str] = &[
    "Molho <Picante> & \"Extra\" 150ml",
    "Azeitona \"Gourmet\" Recheada & Pimenta 500g",
    "Palmito D'Ouro <Pupunha> 300g",
    XSS_PRODUCT_NAME,
];

/// The product name the page's XSS test looks for: it must be shown as text, never run.
pub const XSS_PRODUCT_NAME: &str = "<img src=x onerror=alert(1)>";

pub(crate) const HTML_SPECIAL_CLIENT_NAMES: &[&str] = &[
    "D'Ávila & Filhos",
    "Mercadinho <Central> & Cia",
    "Empório \"Sabor & Arte\"",
];

pub(crate) const CLIENT_KINDS: &[&str] = &[
    "Supermercado",
    "Atacadão",
    "Rede",
    "Mercearia",
    "Distribuidora",
    "Comercial",
    "Empório",
    "Hipermercado",
    "Mercado",
    "Atacarejo",
    "Restaurante",
    "Pizzaria",
    "Padaria",
    "Cantina",
    "Hortifruti",
    "Armazém",
];

pub(crate) const CLIENT_NAMES: &[&str] = &[
    "Bom Preço",
    "Nordeste",
    "Pague Menos",
    "São Jorge",
    "Santa Luzia",
    "Dois Irmãos",
    "Nova Era",
    "Boa Vista",
    "Central",
    "do Vale",
    "Família",
    "Estrela",
    "Progresso",
    "Real",
    "Econômico",
    "Pão de Mel",
    "Sol Nascente",
    "Bela Vista",
    "Irmãos Rocha",
    "Três Marias",
    "Planalto",
    "Serrano",
    "Litoral",
    "Aliança",
    "União",
    "Sempre Vale",
    "Mais Barato",
    "Super Nosso",
    "Cidade Nova",
    "Morada do Sol",
    "Guanabara",
    "Paulista",
    "Gaúcho",
    "Mineiro",
    "Ouro Verde",
    "Primavera",
    "Vitória",
    "Princesa",
    "Campeão",
    "Bandeirantes",
    "Santa Fé",
    "Boa Esperança",
];

/// Sales teams, one per region; cities name the team that serves them.
pub(crate) const TEAMS: &[&str] = &[
    "Equipe São Paulo",
    "Equipe Sudeste",
    "Equipe Sul",
    "Equipe Nordeste",
    "Equipe Norte e Centro-Oeste",
];

/// Sellers with the index of their team in [`TEAMS`].
pub(crate) const SELLERS: &[(&str, usize)] = &[
    ("Ana Paula Souza", 0),
    ("Carlos Eduardo Lima", 0),
    ("Fernanda Oliveira", 0),
    ("Ricardo Almeida", 0),
    ("Juliana Martins", 0),
    ("Marcos Vinícius Costa", 1),
    ("Patrícia Gomes", 1),
    ("Rodrigo Ferreira", 1),
    ("Luciana Barbosa", 1),
    ("André Luiz Pereira", 2),
    ("Camila Rodrigues", 2),
    ("Eduardo Schmidt", 2),
    ("Gabriela Weber", 2),
    ("José Carlos Nascimento", 3),
    ("Maria Aparecida Santos", 3),
    ("Francisco Cavalcanti", 3),
    ("Renata Albuquerque", 3),
    ("Thiago Mendes", 4),
    ("Vanessa Rocha", 4),
    ("Paulo Henrique Dias", 4),
];

/// Real Brazilian cities with their state and the team (index in [`TEAMS`]) that serves them.
pub(crate) const CITIES: &[(&str, &str, usize)] = &[
    ("São Paulo", "SP", 0),
    ("São Paulo", "SP", 0),
    ("Campinas", "SP", 0),
    ("Santos", "SP", 0),
    ("Ribeirão Preto", "SP", 0),
    ("São José dos Campos", "SP", 0),
    ("Sorocaba", "SP", 0),
    ("Guarulhos", "SP", 0),
    ("Osasco", "SP", 0),
    ("Bauru", "SP", 0),
    ("São José do Rio Preto", "SP", 0),
    ("Piracicaba", "SP", 0),
    ("Jundiaí", "SP", 0),
    ("Rio de Janeiro", "RJ", 1),
    ("Rio de Janeiro", "RJ", 1),
    ("Niterói", "RJ", 1),
    ("Duque de Caxias", "RJ", 1),
    ("Nova Iguaçu", "RJ", 1),
    ("Petrópolis", "RJ", 1),
    ("Campos dos Goytacazes", "RJ", 1),
    ("Belo Horizonte", "MG", 1),
    ("Uberlândia", "MG", 1),
    ("Contagem", "MG", 1),
    ("Juiz de Fora", "MG", 1),
    ("Montes Claros", "MG", 1),
    ("Vitória", "ES", 1),
    ("Vila Velha", "ES", 1),
    ("Curitiba", "PR", 2),
    ("Londrina", "PR", 2),
    ("Maringá", "PR", 2),
    ("Ponta Grossa", "PR", 2),
    ("Cascavel", "PR", 2),
    ("Florianópolis", "SC", 2),
    ("Joinville", "SC", 2),
    ("Blumenau", "SC", 2),
    ("Chapecó", "SC", 2),
    ("Porto Alegre", "RS", 2),
    ("Caxias do Sul", "RS", 2),
    ("Pelotas", "RS", 2),
    ("Santa Maria", "RS", 2),
    ("Canoas", "RS", 2),
    ("Salvador", "BA", 3),
    ("Feira de Santana", "BA", 3),
    ("Vitória da Conquista", "BA", 3),
    ("Recife", "PE", 3),
    ("Jaboatão dos Guararapes", "PE", 3),
    ("Caruaru", "PE", 3),
    ("Petrolina", "PE", 3),
    ("Fortaleza", "CE", 3),
    ("Juazeiro do Norte", "CE", 3),
    ("Natal", "RN", 3),
    ("Mossoró", "RN", 3),
    ("João Pessoa", "PB", 3),
    ("Campina Grande", "PB", 3),
    ("Maceió", "AL", 3),
    ("Aracaju", "SE", 3),
    ("São Luís", "MA", 3),
    ("Imperatriz", "MA", 3),
    ("Teresina", "PI", 3),
    ("Manaus", "AM", 4),
    ("Belém", "PA", 4),
    ("Ananindeua", "PA", 4),
    ("Santarém", "PA", 4),
    ("Goiânia", "GO", 4),
    ("Anápolis", "GO", 4),
    ("Aparecida de Goiânia", "GO", 4),
    ("Brasília", "DF", 4),
    ("Cuiabá", "MT", 4),
    ("Várzea Grande", "MT", 4),
    ("Campo Grande", "MS", 4),
    ("Dourados", "MS", 4),
    ("Palmas", "TO", 4),
    ("Porto Velho", "RO", 4),
    ("Macapá", "AP", 4),
    ("Boa Vista", "RR", 4),
    ("Rio Branco", "AC", 4),
];

pub(crate) const PRODUCTION_LINES: &[&str] = &[
    "LINHA 1", "LINHA 2", "LINHA 3", "LINHA 4", "LINHA 5", "LINHA 6",
];
