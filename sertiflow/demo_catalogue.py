"""What the demo office's businesses make, and how: each line of business with the materials and
process steps that fit its product, the SNI that covers it (only where one does), its Nice class
and whether halal certification concerns it.

The SNI numbers are real product standards (BSN): SNI 01-4315-1996 Keripik pisang, SNI 2973:2011
Biskuit, SNI 3729:2008 Tepung sagu, SNI 01-3542-2004 Kopi bubuk, SNI 2725:2013 Ikan asap dengan
pengasapan panas, SNI 7690.1:2013 Abon ikan, SNI 06-3954-2006 Minyak kayu putih and SNI 3719:2014
Minuman sari buah. Products without an SNI of their own (sagu lempeng, sambal roa, manisan pala,
crafts, meals) are never put through the SNI process. KBLI codes are recorded for food service
only (golongan pokok 56: 56101 restoran, 56102 rumah/warung makan, 56210 jasa boga), the
businesses the self-declare path refuses; producers carry their business type in words.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LINES", "Line"]

_Material = tuple[str, str, str, str]  # name, category, supplier, halal evidence
# A halal certificate's number is written "SH <number>" in the evidence; the demo profile splits
# it into the material's certificate number (sertiflow.demo).
_POSITIVE = "Daftar positif KMA 1360/2021"
_PACKAGING_EVIDENCE = "Surat pernyataan bebas bahan hewani dari pemasok"
_PACKAGING: _Material = (
    "Kemasan plastik food grade",
    "kemasan",
    "CV Plastindo Ambon",
    _PACKAGING_EVIDENCE,
)
_SALT: _Material = (
    "Garam beryodium",
    "bahan tambahan",
    "Toko Sinar Ambon",
    "SH ID00210000045670222",
)
_SUGAR: _Material = ("Gula pasir", "bahan tambahan", "PT Gula Nusantara", "SH ID00110000012340121")
_COCONUT_OIL: _Material = (
    "Minyak kelapa",
    "bahan penolong",
    "Koperasi Kelapa Seram",
    "SH ID00310000078900323",
)
_PURCHASE = "Pembelian bahan dari pemasok tetap yang bahannya jelas kehalalannya"
_RECEIPT = "Penerimaan dan pemeriksaan bahan (label, kemasan, tanggal kedaluwarsa)"
_STORE = "Penyimpanan bahan di rak tertutup, terpisah dari bahan tidak halal"
_PACK = "Pengemasan dan pelabelan produk"
_SHIP = "Penyimpanan produk jadi di tempat kering dan bersih, lalu distribusi ke toko oleh-oleh"


@dataclass(frozen=True)
class Line:
    """One line of business: its product and how it is made."""

    product: str
    business_type: str
    nice_class: str
    materials: tuple[_Material, ...]
    steps: tuple[str, ...]
    # product name suffix, package or serving; the suffixes differ, so that a business's
    # products have different names (an ikrar or a letter names them without their package)
    variants: tuple[tuple[str, str], ...]
    sni: tuple[str, str] | None = None  # number, title
    halal: bool = True  # food, drink, cosmetics and medicine: halal certification concerns it
    kbli: str | None = None
    weight: int = 10

    @property
    def food_service(self) -> bool:
        """A restaurant, eating house or caterer: refused the self-declare path."""
        return self.kbli is not None and self.kbli.startswith("56")


_SNACK_SIZES = (("Original", "250 g"), ("Pedas", "200 g"), ("Mini", "100 g"), ("Premium", "500 g"))

LINES: tuple[Line, ...] = (
    Line(
        "Sagu lempeng",
        "produsen sagu lempeng",
        "30",
        (("Tepung sagu basah", "bahan baku", "Petani sagu Saparua", _POSITIVE), _SALT, _PACKAGING),
        (
            _PURCHASE,
            _RECEIPT,
            "Pengeringan dan pengayakan tepung sagu",
            "Pencetakan di forna (cetakan tanah liat) yang dipanaskan",
            "Pemanggangan sampai kering, lalu pendinginan",
            _PACK,
            _SHIP,
        ),
        _SNACK_SIZES,
        weight=14,
    ),
    Line(
        "Tepung sagu",
        "produsen tepung sagu",
        "30",
        (("Empulur sagu", "bahan baku", "Dusun sagu Seram", _POSITIVE), _PACKAGING),
        (
            "Penebangan dan pemotongan batang sagu",
            "Pemarutan empulur",
            "Peremasan dengan air bersih dan penyaringan",
            "Pengendapan pati, lalu pengeringan di bawah sinar matahari",
            "Penggilingan dan pengayakan",
            _PACK,
            _SHIP,
        ),
        (("Kemasan 1 kg", "1 kg"), ("Kemasan 500 g", "500 g")),
        sni=("SNI 3729:2008", "Tepung sagu"),
    ),
    Line(
        "Ikan asap",
        "produsen ikan asap",
        "29",
        (
            ("Ikan cakalang segar", "bahan baku", "TPI Eri, Ambon", _POSITIVE),
            _SALT,
            ("Tempurung kelapa (bahan bakar asap)", "bahan penolong", "Petani kelapa Hitu", ""),
            ("Kemasan vakum", "kemasan", "CV Plastindo Ambon", _PACKAGING_EVIDENCE),
        ),
        (
            "Pembelian ikan segar dari tempat pelelangan ikan",
            "Penyiangan dan pencucian ikan dengan air bersih",
            "Penggaraman ringan",
            "Pengasapan panas di atas bara tempurung kelapa",
            "Pendinginan di rak tertutup",
            "Pengemasan vakum dan pelabelan",
            "Penyimpanan dingin dan distribusi",
        ),
        (("Cakalang fufu", "1 ekor, kemasan vakum"), ("Potongan", "500 g")),
        sni=("SNI 2725:2013", "Ikan asap dengan pengasapan panas"),
        weight=12,
    ),
    Line(
        "Kopi rempah",
        "produsen kopi bubuk rempah",
        "30",
        (
            ("Biji kopi robusta", "bahan baku", "Petani kopi Seram Bagian Barat", _POSITIVE),
            ("Cengkeh kering", "bahan baku", "Petani Hila", _POSITIVE),
            ("Pala kering", "bahan baku", "Kebun pala Banda", _POSITIVE),
            ("Kayu manis", "bahan baku", "Pasar Mardika", _POSITIVE),
            _PACKAGING,
        ),
        (
            _PURCHASE,
            "Sortasi biji kopi",
            "Penyangraian kopi dan rempah",
            "Penggilingan dan pencampuran rempah",
            _PACK,
            _SHIP,
        ),
        (("Bubuk 200 g", "200 g"), ("Bubuk 500 g", "500 g"), ("Sachet", "10 x 20 g")),
        sni=("SNI 01-3542-2004", "Kopi bubuk"),
        weight=8,
    ),
    Line(
        "Minyak kayu putih",
        "penyulingan minyak kayu putih",
        "5",
        (
            ("Daun kayu putih", "bahan baku", "Petani kayu putih Buru", _POSITIVE),
            ("Botol kaca 60 ml", "kemasan", "CV Kemasan Maluku", _PACKAGING_EVIDENCE),
        ),
        (
            "Pemetikan daun dan pelayuan di tempat teduh",
            "Penyulingan uap dalam ketel",
            "Pemisahan minyak dari air suling",
            "Penyaringan minyak",
            "Pembotolan dan pelabelan",
            "Penyimpanan di tempat sejuk dan distribusi",
        ),
        (("Botol 60 ml", "60 ml"), ("Botol 120 ml", "120 ml")),
        sni=("SNI 06-3954-2006", "Minyak kayu putih"),
        weight=6,
    ),
    Line(
        "Abon ikan tuna",
        "produsen abon ikan",
        "29",
        (
            ("Ikan tuna segar", "bahan baku", "TPI Eri, Ambon", _POSITIVE),
            ("Santan kelapa", "bahan baku", "Produksi sendiri", _POSITIVE),
            ("Bawang merah dan bawang putih", "bahan baku", "Pasar Mardika", _POSITIVE),
            _SUGAR,
            _SALT,
            _COCONUT_OIL,
            _PACKAGING,
        ),
        (
            _PURCHASE,
            "Perebusan dan pencabikan daging ikan",
            "Pemasakan dengan santan dan bumbu",
            "Penggorengan sampai kering",
            "Pengepresan minyak",
            _PACK,
            _SHIP,
        ),
        (("Original", "100 g"), ("Pedas", "100 g"), ("Toples", "250 g")),
        sni=("SNI 7690.1:2013", "Abon ikan"),
        weight=8,
    ),
    Line(
        "Keripik pisang",
        "produsen keripik",
        "29",
        (
            ("Pisang tanduk mentah", "bahan baku", "Petani pisang Leihitu", _POSITIVE),
            ("Minyak goreng sawit", "bahan penolong", "Toko Sinar Ambon", "SH ID00410000011220120"),
            _SALT,
            _SUGAR,
            _PACKAGING,
        ),
        (
            _PURCHASE,
            "Pengupasan dan pengirisan tipis pisang",
            "Penggorengan dalam minyak panas",
            "Penirisan dan pembumbuan",
            _PACK,
            _SHIP,
        ),
        _SNACK_SIZES,
        sni=("SNI 01-4315-1996", "Keripik pisang"),
        weight=12,
    ),
    Line(
        "Bagea",
        "produsen kue kering sagu",
        "30",
        (
            ("Tepung sagu", "bahan baku", "Petani sagu Saparua", _POSITIVE),
            ("Kenari kupas", "bahan baku", "Kebun Banda", _POSITIVE),
            _SUGAR,
            ("Cengkeh bubuk", "bahan tambahan", "Petani Hila", _POSITIVE),
            _PACKAGING,
        ),
        (
            _PURCHASE,
            _STORE,
            "Pencampuran adonan sagu, kenari dan gula",
            "Pencetakan dan pemanggangan di oven",
            "Pendinginan",
            _PACK,
            _SHIP,
        ),
        (("Kenari", "250 g"), ("Mini", "100 g")),
        sni=("SNI 2973:2011", "Biskuit"),
        weight=10,
    ),
    Line(
        "Sambal roa",
        "produsen sambal",
        "30",
        (
            ("Ikan roa asap", "bahan baku", "Nelayan Hitu", _POSITIVE),
            ("Cabai rawit", "bahan baku", "Pasar Mardika", _POSITIVE),
            ("Bawang merah", "bahan baku", "Pasar Mardika", _POSITIVE),
            _COCONUT_OIL,
            _SALT,
            ("Botol kaca 200 ml", "kemasan", "CV Kemasan Maluku", _PACKAGING_EVIDENCE),
        ),
        (
            _PURCHASE,
            "Penyuwiran ikan roa",
            "Penghalusan cabai dan bawang",
            "Penumisan dengan minyak kelapa",
            "Pembotolan panas dan sterilisasi",
            _PACK,
            _SHIP,
        ),
        (("Botol", "200 g"), ("Botol ekstra pedas", "200 g")),
        weight=8,
    ),
    Line(
        "Manisan pala",
        "produsen manisan buah",
        "29",
        (
            ("Buah pala segar", "bahan baku", "Kebun pala Banda", _POSITIVE),
            _SUGAR,
            _SALT,
            _PACKAGING,
        ),
        (
            "Pengupasan dan pengirisan daging buah pala",
            "Perendaman dalam air garam",
            "Perebusan dalam larutan gula",
            "Penjemuran",
            _PACK,
            _SHIP,
        ),
        (("Kering", "250 g"), ("Basah", "300 g")),
        weight=8,
    ),
    Line(
        "Sari buah pala",
        "produsen minuman sari buah",
        "32",
        (
            ("Daging buah pala", "bahan baku", "Kebun pala Banda", _POSITIVE),
            _SUGAR,
            ("Air minum", "bahan baku", "Depot air PDAM Ambon", _POSITIVE),
            ("Asam sitrat", "bahan tambahan", "Toko Kimia Ambon", "SH ID00510000033450221"),
            ("Botol PET 250 ml", "kemasan", "CV Plastindo Ambon", _PACKAGING_EVIDENCE),
        ),
        (
            _PURCHASE,
            "Pengupasan dan penghancuran daging buah",
            "Penyaringan sari buah",
            "Pencampuran dengan gula dan air",
            "Pasteurisasi",
            "Pembotolan dan pelabelan",
            "Penyimpanan dingin dan distribusi",
        ),
        (("Botol 250 ml", "250 ml"), ("Botol 1 liter", "1 liter")),
        sni=("SNI 3719:2014", "Minuman sari buah"),
        weight=6,
    ),
    Line(
        "Kerajinan mutiara",
        "perajin perhiasan mutiara",
        "14",
        (
            ("Mutiara laut", "bahan baku", "Budidaya mutiara Aru", ""),
            ("Kawat perak 925", "bahan baku", "Toko Perak Ambon", ""),
        ),
        (
            "Sortasi mutiara menurut ukuran dan kilau",
            "Pengeboran mutiara",
            "Perangkaian dengan kawat perak",
            "Pemolesan",
            "Pengemasan dalam kotak perhiasan",
        ),
        (("Kalung", "1 buah"), ("Anting", "1 pasang"), ("Bros", "1 buah")),
        halal=False,
        weight=4,
    ),
    Line(
        "Tenun ikat Tanimbar",
        "penenun kain tenun ikat",
        "24",
        (
            ("Benang katun", "bahan baku", "Toko Benang Saumlaki", ""),
            ("Pewarna alami (akar mengkudu, nila)", "bahan baku", "Kebun sendiri", ""),
        ),
        (
            "Penggulungan dan perentangan benang",
            "Pengikatan motif",
            "Pencelupan warna alami dan pengeringan",
            "Penenunan dengan alat tenun gedogan",
            "Penyelesaian dan pengemasan",
        ),
        (("Kain", "2 m"), ("Selendang", "1 lembar")),
        halal=False,
        weight=4,
    ),
    Line(
        "Ikan kuah kuning dan papeda",
        "rumah makan",
        "43",
        (
            ("Ikan tongkol segar", "bahan baku", "TPI Eri, Ambon", _POSITIVE),
            ("Tepung sagu", "bahan baku", "Petani sagu Saparua", _POSITIVE),
            ("Kunyit dan rempah", "bahan baku", "Pasar Mardika", _POSITIVE),
        ),
        (
            "Penerimaan bahan setiap pagi",
            "Penyimpanan ikan di lemari pendingin",
            "Pemasakan kuah kuning dan papeda",
            "Penyajian kepada pembeli di tempat",
        ),
        (("Porsi", "makan di tempat"), ("Bungkus", "dibawa pulang")),
        kbli="56102",
        weight=2,
    ),
    Line(
        "Ikan bakar colo-colo",
        "restoran",
        "43",
        (
            ("Ikan kakap segar", "bahan baku", "TPI Eri, Ambon", _POSITIVE),
            ("Cabai, tomat dan jeruk nipis", "bahan baku", "Pasar Mardika", _POSITIVE),
            ("Arang tempurung", "bahan penolong", "Petani kelapa Hitu", ""),
        ),
        (
            "Penerimaan dan penyimpanan dingin ikan",
            "Pembakaran ikan di atas arang",
            "Peracikan sambal colo-colo",
            "Penyajian di meja",
        ),
        (("Porsi", "1 ekor"),),
        kbli="56101",
        weight=1,
    ),
    Line(
        "Nasi kuning dan kue basah",
        "jasa boga (katering)",
        "43",
        (
            ("Beras", "bahan baku", "Toko Beras Ambon", _POSITIVE),
            ("Ayam potong", "bahan baku", "RPHU Passo", "SH ID00610000055660322"),
            ("Santan kelapa", "bahan baku", "Produksi sendiri", _POSITIVE),
        ),
        (
            "Penerimaan pesanan dan bahan",
            "Pemasakan di dapur katering",
            "Pengemasan dalam kotak nasi",
            "Pengantaran kepada pemesan",
        ),
        (("Kotak", "1 porsi"), ("Tumpeng", "untuk 20 orang")),
        kbli="56210",
        weight=1,
    ),
)
"""The demo's lines of business, weighted by how common they are among Maluku's UMKM."""
