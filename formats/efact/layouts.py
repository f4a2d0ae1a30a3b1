"""Zone layouts of message 920000: segments 200 and 300 and records 10 to 96.

Every layout is declared once, as a table, and compiled by
:mod:`vsbengine.formats.efact.compiled` into the arrays that the Cython core
walks. Adding a zone is a one-line edit of a table below.

Columns of a table line (whitespace separated, the name takes the rest)::

    zone  start  length  kind  flags  column  allowed  name

zone
    The official zone id (``8a,8b``, ``24,25``, ``404``). Error codes use its
    leading number as the ``ZZ`` part (``24,25`` -> ``24``).
start, length
    1-based position and length in the record.
kind
    ``N`` digits, ``D`` date YYYYMMDD (all zeros = absent), ``Y`` year and
    month YYYYMM (all zeros = absent), ``S`` signed amount
    (``+``/``-`` then digits), ``A`` text, ``X`` any text (filler).
flags
    ``M`` mandatory (zero or blank is an error), ``b`` may be all blanks (a
    signed amount that a sender leaves empty; with ``z``: a reserved zone that
    may also be left blank), ``z`` must hold zeros (a reserved zone: anything
    else is the official "content not zero" error), ``e`` followed by a
    two-digit error zone (segments 200/300 and records 95/96 only), ``-`` none.
column
    Name of the numeric column the core extracts the value into, or ``-``: what
    it holds (``amount``, ``admission_number``), never the zone number. Rules and
    writers read columns by name; one name serves several record types only where
    it means the same in each (``institution`` in records 10, 20, 80 and 90).
allowed
    Allowed values: ``1|3|4``, a range ``1..12``, or ``-`` for any.

Positions and kinds follow ``efact-format.md`` (project conventions 1-7); the
newer layout of record 52 is used (convention 4). Reserved zones are split into
the official sub-zones that the insurers' error list names one by one (record 80
zones 39 to 59, ...), so that a non-zero reserved zone gets the code of its own
sub-zone; a zone table has at most 64 zones (the core tracks them in a bit set).
Three zones are text (``A``) although the sources type them numeric and zero-fill them
when unused: record 20 zone 42 (network reference data), record 50 zones 41,42
(delivery note or blood bag number) and 53,54a (trip number). Their content may hold
letters (``efact-format.md`` section 6, item 12), and the official list has no "not
numeric" code for them in its current form.
"""

from __future__ import annotations

SEGMENT_200 = """
200        1   6 N Me  -                    920000          Message name
201        9   2 N Me  -                    1..3            Message format version
202       13   2 N Me  environment          12|92           Environment (12 production, 92 test)
203       17   2 N -e  -                    0               Message status
204       21  14 N Me  -                    -               Sender's message reference
205       37  14 N ze  -                    -               Insurer's message reference
206       53  15 N zb  -                    -               Reserved
"""

SEGMENT_300 = """
300        1   6 Y Me  invoiced_year_month  -               Invoiced year and month
301        9   3 N Me  sending_number       -               Sending number
302       14   8 D Me  creation_date        -               Creation date
303       24  13 A -e  -                    -               Invoice or file reference
304       39   7 N Me  instructions_version -               Instructions version
305       48  45 A -e  -                    -               Contact person, last name
306       95  24 A -e  -                    -               Contact person, first name
307      121  10 N -e  -                    -               Contact person, phone number
308      133   2 N Me  file_invoice_type    1|3|9           Invoice type
309      137   2 N Me  invoicing_mode       -               Invoicing mode
310      141  20 N z   -                    -               Reserved
"""

RECORD_10 = """
1          1   2 N -   -                    10              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N -   -                    -               Index code
4         10   7 N M   instructions_version 1999|9991999    Instructions version
5,6a      17  12 N z   -                    -               Financial account A, legacy number (zero since 2011)
6b        29   4 N z   -                    -               Reserved
7         33   3 N M   sending_number       -               Sending number
8a        36  12 N z   -                    -               Financial account B, legacy number (zero since 2011)
8b        48   1 N z   -                    -               Reserved
9         49   1 N z   -                    -               Paper-invoice suppression code (zero since 2010)
10        50   1 N z   -                    -               Settlement-file code (zero since 2010)
11        51   1 N z   -                    -               Reserved
12        52   1 N z   -                    -               Reserved
13        53   3 N -   -                    -               Invoicing content code
14        56  12 N M   institution          -               Third-party payer number
15        68  12 N -   -                    -               CIN/NIC accreditation number
16        80   1 N z   -                    -               Reserved
17        81   4 N z   -                    -               Reserved
18        85   3 N -   -                    -               Profession code of the invoicing third party
19        88  12 N z   -                    -               Reserved
20       100   7 N z   -                    -               Reserved
21       107   1 N z   -                    -               Reserved
22       108   5 N -   invoiced_year        2000..2099      Invoiced year
23       113   2 N -   invoiced_month       1..12           Invoiced month
24       115   5 N z   -                    -               Reserved
25,26    120   8 D M   creation_date        -               File creation date
27       128  10 N -   company_number       -               Company number (KBO/BCE)
28       138  25 A -   -                    -               Sender's reference
29       163   2 N z   -                    -               Reserved
30       165   2 N z   -                    -               Reserved
31       167  11 A -   -                    -               BIC of account A
35       178   1 N z   -                    -               Reserved
36       179  34 A -   -                    -               IBAN of account A
42       213   6 N z   -                    -               Reserved
43a      219  11 A -   -                    -               BIC of account B
43b      230   1 N z   -                    -               Reserved
44       231   4 N z   -                    -               Reserved
45       235  26 N zb  -                    -               Reserved (state reform: blank from 2025)
46       261   1 N z   -                    -               Reserved
47       262   8 N z   -                    -               Reserved
48       270   1 N z   -                    -               Reserved
49       271  34 A -   -                    -               IBAN of account B
53       305   8 N zb  -                    -               Reserved (state reform: blank from 2025)
54       313   8 N z   -                    -               Reserved
55       321   8 N z   -                    -               Reserved
56       329   4 N z   -                    -               Reserved
57       333   4 N z   -                    -               Reserved
58       337   4 N z   -                    -               Reserved
59       341   6 N z   -                    -               Reserved
98       347   2 N z   -                    -               Reserved
99       349   2 N -   -                    -               Record check digits
"""

RECORD_20 = """
1          1   2 N -   -                    20              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N -   third_party_flag     -               Third-party-payer authorisation flag
4         10   7 N -   -                    -               Admission time
5         17   8 D -   admission_date       -               Admission date
6a,6b     25   8 D -   discharge_date       -               Discharge date
7         33   3 N M   affiliation          -               Mutuality of affiliation
8a,8b     36  13 N M   beneficiary          -               Beneficiary identification
9         49   1 N -   -                    1|2             Beneficiary sex
10        50   1 N M   invoice_type         1|3|4|5|6|7|9   Invoice type
11        51   1 N -   invoicing_type       0|1|3           Invoicing type
12        52   1 N z   -                    -               Reserved
13        53   3 N -   -                    -               Service code of the 721bis form
14        56  12 N M   institution          -               Invoicing institution number
15        68  12 N -   stay_institution     -               Institution of stay
16        80   1 N -   -                    -               Code interrupting the limitation period
17        81   4 N -   -                    -               Treatment reason
18        85   3 N M   destination          -               Destination mutuality
19        88  12 N -   admission_number     -               Admission number
20,21    100   8 D -   approval_date        -               Revalidation agreement date
22       108   5 N -   -                    -               Discharge time
23       113   2 N z   -                    -               Reserved
24,25    115  12 N M   invoice_number       -               Individual invoice number
26       127   1 N -   -                    -               Social franchise applied
27       128  10 N -   -                    -               Beneficiary codes CT1/CT2
28       138  25 A -   -                    -               Sender's reference
29,30,31 163  12 N -   -                    -               Previous invoice number
32       175   1 N -   identification_flag  0|1             Beneficiary identification flag
33       176   1 N z   -                    -               Reserved
34,35,36 177   3 N -   -                    -               Previous sending number
37       180   3 N -   -                    -               Mutuality of the previous invoicing
38,39    183  22 A -   -                    -               Mutuality reference for account A
40       205   2 N z   -                    -               Reserved
41       207   6 Y -   -                    -               Year and month of the previous invoicing
42       213  48 A -   -                    -               Network reference data
46       261   1 N z   -                    -               Reserved
47       262   8 D -   invoicing_date       -               Invoicing date
48       270   1 N z   -                    -               Reserved
49,50,51 271  22 A -   -                    -               Mutuality reference for account B
52       293  12 N -   -                    -               Mother's admission number
53       305   8 D -   -                    -               Start of the insurability period
54a,54b  313   8 D -   -                    -               End of the insurability period
55       321   8 D -   -                    -               Date the information was communicated
56       329   4 N -   -                    -               Maximum billing, current year
57       333   4 N -   -                    -               Maximum billing, year -1
58       337   4 N -   -                    -               Maximum billing, year -2
59       341   6 N z   -                    -               Reserved
98       347   2 N z   -                    -               Reserved
99       349   2 N -   -                    -               Record check digits
"""

RECORD_30 = """
1          1   2 N -   -                    30              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N -   -                    -               Norm for the nursing day
4         10   7 N M   code                 -               Pseudo-code for the nursing day or flat rate
5         17   8 D M   first_date           -               First invoiced day
6a,6b     25   8 D -   last_date            -               Last invoiced day
7         33   3 N M   affiliation          -               Mutuality of affiliation
8a,8b     36  13 N M   beneficiary          -               Beneficiary identification
9         49   1 N -   -                    -               Beneficiary sex
10        50   1 N -   -                    -               Childbirth code
11        51   1 N -   account              0|1             Financial account reference
12        52   1 N z   -                    -               Reserved
13        53   3 N -   -                    -               Service code
14        56  12 N -   -                    -               Place of service
15        68  12 N -   -                    -               Agreement or institution-of-stay identification
16        80   1 N z   -                    -               Reserved
17,18     81   7 N -   -                    -               Related service
19        88  12 S -   amount               -               Insurance amount
20       100   7 N z   -                    -               Reserved
21       107   1 N z   -                    -               Reserved
22       108   5 S -   units                -               Number of days or flat rates
23       113   2 N z   -                    -               Reserved
24,25    115  12 S -   -                    -               Indicative stay cost
26       127   1 N z   -                    -               Reserved
27       128  10 S -   personal_share       -               Patient personal share
28       138  25 A -   -                    -               Sender's reference
29       163   2 N z   -                    -               Reserved
30,31    165  10 S -   supplement           -               Supplement amount
32       175   1 N -   -                    -               Third-party-payer exception
33       176   1 N -   -                    -               Billing code for personal share or supplement
34       177   1 N z   -                    -               Reserved
35       178   1 N z   -                    -               Reserved
36       179   1 N z   -                    -               Reserved
37       180   3 N z   -                    -               Reserved
38       183  12 N z   -                    -               Reserved
39       195  10 N z   -                    -               Reserved
40       205   2 N z   -                    -               Reserved
41       207   6 N z   -                    -               Reserved
42       213   6 N z   -                    -               Reserved
43a,43b  219  12 N z   -                    -               Reserved
44       231   4 N z   -                    -               Reserved
45       235  26 N z   -                    -               Reserved
46       261   1 N z   -                    -               Reserved
47       262   8 D -   -                    -               Service agreement date
48       270   1 N -   -                    -               Transplant code
49       271  12 N z   -                    -               Reserved
50       283   4 N z   -                    -               Reserved
51       287   6 N -   -                    -               Hospital site
52       293  12 N -   -                    -               Care-area association identification
53       305   8 N z   -                    -               Reserved
54a,54b  313   8 N z   -                    -               Reserved
55       321   8 N z   -                    -               Reserved
56       329   4 N z   -                    -               Reserved
57       333   4 N z   -                    -               Reserved
58       337   4 N z   -                    -               Reserved
59       341   6 N z   -                    -               Reserved
98       347   2 N z   -                    -               Reserved
99       349   2 N -   -                    -               Record check digits
"""

RECORD_50 = """
1          1   2 N -   -                    50              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N -   -                    -               Service norm
4         10   7 N M   code                 -               Nomenclature code or pseudo-code
5         17   8 D M   first_date           -               Date of first service
6a,6b     25   8 D -   last_date            -               Date of last service
7         33   3 N M   affiliation          -               Mutuality of affiliation
8a,8b     36  13 N M   beneficiary          -               Beneficiary identification
9         49   1 N -   -                    -               Beneficiary sex
10        50   1 N -   -                    -               Childbirth code
11        51   1 N -   account              0|1             Financial account reference
12        52   1 N -   -                    -               Urgency or time-of-day code
13        53   3 N -   -                    -               Service code
14        56  12 N -   -                    -               Place of service
15        68  12 N -   provider             -               Care provider identification
16        80   1 N -   -                    -               Provider norm
17,18     81   7 N -   -                    -               Related service
19        88  12 S -   amount               -               Insurance amount
20,21    100   8 D -   -                    -               Prescription date
22       108   5 S -   units                -               Number of units
23       113   2 N -   -                    -               Derogation code
24,25    115  12 N -   prescriber           -               Prescriber identification
26       127   1 N -   -                    -               Prescriber norm
27       128  10 S -   personal_share       -               Patient personal share
28       138  25 A -   -                    -               Sender's reference for the line
29       163   2 N -   -                    -               Tooth treated
30,31    165  10 S -   supplement           -               Supplement amount
32       175   1 A -   -                    -               Third-party-payer exception code
33       176   1 N -   -                    -               Billing code for personal share or supplement
34       177   1 N -   -                    -               Limb or side treated
35       178   1 N -   -                    -               Conventioned provider flag
36,37    179   4 N -   -                    -               Time of service
38       183  12 N -   -                    -               Blood administrator identification
39,40    195  12 N -   -                    -               Administration certificate number
41,42    207  12 A -   -                    -               Delivery note or blood bag number
43a,43b  219  12 N -   -                    -               Implant code
44,45    231  30 A -   -                    -               Product label
46       261   1 N -   -                    -               Ceiling norm
47       262   8 A -   -                    -               Basic value of the service
48       270   1 N -   -                    -               Transplant code
49       271  12 N -   -                    -               Additional provider identification
50a      283   3 N -   -                    -               Share in a flat rate
50b      286   1 N -   -                    -               eID-reading indicator
51       287   6 N -   -                    -               Hospital site
52       293  12 N -   -                    -               Care-area association identification
53,54a   305  11 A -   -                    -               Trip number
54b      316   1 N -   -                    -               GPS flag
54c      317   4 N z   -                    -               Reserved
55,56    321  12 N -   -                    -               Implant notification code
57,58,59 333  14 N -   -                    -               Qermid registration code
98       347   2 N -   -                    -               VAT flag
99       349   2 N -   -                    -               Record check digits
"""

RECORD_51 = """
1          1   2 N -   -                    51              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N z   -                    -               Reserved
4         10   7 N M   code                 -               Nomenclature code
5         17   8 D -   first_date           -               Service date
6a,6b     25   8 N z   -                    -               Reserved
7         33   3 N z   -                    -               Reserved
8a,8b     36  13 N -   beneficiary          -               Beneficiary identification
9         49   1 N z   -                    -               Reserved
10        50   1 N z   -                    -               Reserved
11        51   1 N z   -                    -               Reserved
12        52   1 N z   -                    -               Reserved
13        53   3 N z   -                    -               Reserved
14        56  12 N z   -                    -               Reserved
15        68  12 N -   provider             -               Care provider identification
16        80   1 N z   -                    -               Reserved
17,18     81   7 N -   -                    -               Related service
19        88  12 S -   amount               -               Insurance amount
20       100   7 N z   -                    -               Reserved
21       107   1 N z   -                    -               Reserved
22       108   5 N z   -                    -               Reserved
23       113   2 N z   -                    -               Reserved
24       115   5 N z   -                    -               Reserved
25       120   7 N z   -                    -               Reserved
26       127   1 N z   -                    -               Reserved
27       128  10 N -   -                    -               Beneficiary codes CT1/CT2
28       138  25 N z   -                    -               Reserved
29       163   2 N z   -                    -               Reserved
30       165   2 N z   -                    -               Reserved
31       167   8 N z   -                    -               Reserved
32       175   1 N z   -                    -               Reserved
33       176   1 N z   -                    -               Reserved
34       177   1 N z   -                    -               Reserved
35       178   1 N z   -                    -               Reserved
36       179   1 N z   -                    -               Reserved
37       180   3 N z   -                    -               Reserved
38       183  12 N z   -                    -               Reserved
39       195  10 N z   -                    -               Reserved
40       205   2 N z   -                    -               Reserved
41       207   6 N z   -                    -               Reserved
42       213  48 A -   -                    -               Agreement or tariff-commitment number
46       261   1 N z   -                    -               Reserved
47       262   8 N z   -                    -               Reserved
48       270   1 N z   -                    -               Reserved
49       271  12 N z   -                    -               Reserved
50       283   4 N z   -                    -               Reserved
51       287   6 N z   -                    -               Reserved
52       293  12 N z   -                    -               Reserved
53       305   8 N z   -                    -               Reserved
54a,54b  313   8 N z   -                    -               Reserved
55       321   8 D -   -                    -               Date the information was communicated
56       329   4 N z   -                    -               Reserved
57       333   4 N z   -                    -               Reserved
58       337   4 N z   -                    -               Reserved
59       341   6 N z   -                    -               Reserved
98       347   2 N z   -                    -               Reserved
99       349   2 N -   -                    -               Record check digits
"""

RECORD_52 = """
1          1   2 N -   -                    52              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N -   -                    -               Reason for manual entry
4         10   7 N M   code                 -               Nomenclature code
5         17   8 D -   first_date           -               Service date
6         25   8 D -   -                    -               eID reading date
7         33   3 N z   -                    -               Reserved
8a,8b     36  13 N -   beneficiary          -               Beneficiary identification
9         49   1 N -   -                    -               eID reading type
10        50   1 A -   -                    -               eID carrier type
11        51   1 A -   -                    -               Reason for using a vignette
12        52   4 N -   -                    -               Reading time
14        56  12 N z   -                    -               Reserved
15        68  12 N -   -                    -               Care provider identification
16        80  15 A -   -                    -               Carrier serial number
17        95  25 A -   -                    -               Supporting-document number
18       120  12 A -   -                    -               Medical-imaging or device number
19       132  20 N -   -                    -               Agreement number
20       152 197 X -   -                    -               Reserved
99       349   2 N -   -                    -               Record check digits
"""

RECORD_80 = """
1          1   2 N -   -                    80              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N z   -                    -               Reserved
4         10   7 N -   -                    -               Admission time
5         17   8 D -   -                    -               Admission date
6a,6b     25   8 D -   -                    -               Discharge date
7         33   3 N M   affiliation          -               Mutuality of affiliation
8a,8b     36  13 N M   beneficiary          -               Beneficiary identification
9         49   1 N -   -                    -               Beneficiary sex
10        50   1 N M   invoice_type         -               Invoice type
11        51   1 N z   -                    -               Reserved
12        52   1 N z   -                    -               Reserved
13        53   3 N -   -                    -               Service code of the 721bis form
14        56  12 N M   institution          -               Invoicing institution number
15        68  12 S -   amount_b             -               Amount for account B
16        80   1 N z   -                    -               Reserved
17        81   4 N -   -                    -               Treatment reason
18        85   3 N M   destination          -               Destination mutuality
19        88  12 S -   amount_a             -               Amount for account A
20,21    100   8 D -   -                    -               Invoice date
22       108   5 N -   -                    -               Discharge time
23       113   2 N z   -                    -               Reserved
24,25    115  12 N M   invoice_number       -               Individual invoice number
26       127   1 N z   -                    -               Reserved
27       128  10 S -   personal_share       -               Total patient personal share
28       138  25 A -   -                    -               Sender's reference
29       163   2 N z   -                    -               Reserved
30,31    165  10 S -   supplement           -               Total supplement
32       175   1 N -   -                    -               Beneficiary identification flag
33       176   1 N z   -                    -               Reserved
34       177   1 N z   -                    -               Reserved
35       178   1 N z   -                    -               Reserved
36       179   1 N z   -                    -               Reserved
37       180   3 N z   -                    -               Reserved
38       183  12 S -   -                    -               Advance payment on account A
39       195  10 N z   -                    -               Reserved
40       205   2 N z   -                    -               Reserved
41       207   6 N z   -                    -               Reserved
42       213   6 N z   -                    -               Reserved
43a,43b  219  12 N z   -                    -               Reserved
44       231   4 N z   -                    -               Reserved
45       235  26 N z   -                    -               Reserved
46       261   1 N z   -                    -               Reserved
47       262   8 N z   -                    -               Reserved
48       270   1 N z   -                    -               Reserved
49       271  12 N z   -                    -               Reserved
50       283   4 N z   -                    -               Reserved
51       287   6 N z   -                    -               Reserved
52       293  12 N z   -                    -               Reserved
53       305   8 N z   -                    -               Reserved
54a,54b  313   8 N z   -                    -               Reserved
55       321   8 N z   -                    -               Reserved
56       329   4 N z   -                    -               Reserved
57       333   4 N z   -                    -               Reserved
58       337   4 N z   -                    -               Reserved
59       341   6 N z   -                    -               Reserved
98       347   2 N -   control_number       -               Invoice control number
99       349   2 N -   -                    -               Record check digits
"""

RECORD_90 = """
1          1   2 N -   -                    90              Record type
2          3   6 N -   sequence             -               Record sequence number
3          9   1 N z   -                    -               Reserved
4         10   7 N z   -                    -               Reserved
5,6a      17  12 N z   -                    -               Financial account A, legacy number
6b        29   4 N z   -                    -               Reserved
7         33   3 N M   sending_number       -               Sending number
8a        36  12 N z   -                    -               Financial account B, legacy number
8b        48   1 N z   -                    -               Reserved
9         49   1 N z   -                    -               Reserved
10        50   1 N z   -                    -               Reserved
11        51   1 N z   -                    -               Reserved
12        52   1 N z   -                    -               Reserved
13        53   3 N z   -                    -               Reserved
14        56  12 N M   institution          -               Third-party payer number
15        68  12 S -   amount_b             -               Total for account B
16        80   1 N z   -                    -               Reserved
17        81   4 N z   -                    -               Reserved
18        85   3 N z   -                    -               Reserved
19        88  12 S -   amount_a             -               Total for account A
20       100   7 N z   -                    -               Reserved
21       107   1 N z   -                    -               Reserved
22       108   5 N -   invoiced_year        -               Invoiced year
23       113   2 N -   invoiced_month       -               Invoiced month
24       115   5 N z   -                    -               Reserved
25       120   7 N z   -                    -               Reserved
26       127   1 N z   -                    -               Reserved
27       128  10 N -   company_number       -               Company number (KBO/BCE)
28       138  25 A -   -                    -               Sender's reference
29       163   2 N z   -                    -               Reserved
30       165   2 N z   -                    -               Reserved
31       167  11 A -   -                    -               BIC of account A
35       178   1 N z   -                    -               Reserved
36       179  34 A -   -                    -               IBAN of account A
42       213   6 N z   -                    -               Reserved
43a      219  11 A -   -                    -               BIC of account B
43b      230   1 N z   -                    -               Reserved
44       231   4 N z   -                    -               Reserved
45       235  26 N z   -                    -               Reserved
46       261   1 N z   -                    -               Reserved
47       262   8 N z   -                    -               Reserved
48       270   1 N z   -                    -               Reserved
49       271  34 A -   -                    -               IBAN of account B
53       305   8 N z   -                    -               Reserved
54a,54b  313   8 N z   -                    -               Reserved
55       321   8 N z   -                    -               Reserved
56       329   4 N z   -                    -               Reserved
57       333   4 N z   -                    -               Reserved
58       337   4 N z   -                    -               Reserved
59       341   6 N z   -                    -               Reserved
98       347   2 N -   control_number       -               Sending control number
99       349   2 N -   -                    -               Record check digits
"""

RECORD_95 = """
400        1   2 N Me  -                    95              Record type
401        5   3 N Me  closing_mutuality    -               Mutuality number
402       10  12 N -e  summary_invoice      -               Summary invoice number
404       24  12 S Me  requested_a          -               Amount requested, account A
406       38  12 S Me  requested_b          -               Amount requested, account B
408       52  12 S Me  requested            -               Total requested
409       66   8 N Me  record_count         -               Number of records
410       76   2 N Me  control_number       -               Control number of the mutuality
412       80  12 S be  requested_c          -               Amount requested, account C
413       94 257 X -   -                    -               Reserved
"""

RECORD_96 = """
500        1   2 N Me  -                    96              Record type
501        5   3 N Me  closing_mutuality    -               Federation code (X99)
502       10  12 N ze  -                    -               Not used
504       24  12 S Me  requested_a          -               Amount requested, account A
506       38  12 S Me  requested_b          -               Amount requested, account B
508       52  12 S Me  requested            -               Total requested
509       66   8 N Me  record_count         -               Number of records
510       76   2 N Me  control_number       -               Sending control number
512       80  12 S be  requested_c          -               Amount requested, account C
513       94 257 X -   -                    -               Reserved
"""

#: The layouts of a sending, keyed by record type (``"200"``/``"300"`` for the
#: segments). ``length`` is what every table must add up to.
SENDING = {
    "200": (67, SEGMENT_200),
    "300": (160, SEGMENT_300),
    "10": (350, RECORD_10),
    "20": (350, RECORD_20),
    "30": (350, RECORD_30),
    "50": (350, RECORD_50),
    "51": (350, RECORD_51),
    "52": (350, RECORD_52),
    "80": (350, RECORD_80),
    "90": (350, RECORD_90),
    "95": (350, RECORD_95),
    "96": (350, RECORD_96),
}

#: Record types 10 to 90: they carry a sequence number and check digits
#: (zone 99) and count in the error ratio.
DETAIL_TYPES = (10, 20, 30, 50, 51, 52, 80, 90)
#: The records of an invoice: a record 20 opens it, records 30 to 52 follow, the
#: first record 80 after it closes it.
INVOICE_RECORDS = (20, 30, 50, 51, 52, 80)
#: The column of the record sequence number (zone 2) of records 10 to 90.
SEQUENCE_COLUMN = "sequence"
#: The closing records, checked in the technical phase.
SUMMARY_TYPES = (95, 96)


# -- Answer messages -------------------------------------------------------------------

SEGMENT_300_REPLY = """
300        1   6 Y Me  -       -               Invoiced year and month
301        9   3 N Me  -       -               Sending number
302       14   8 D Me  -       -               Creation date
303       24  13 A -e  -       -               Invoice or file reference
304       39   7 N Me  -       -               Instructions version
305       48  45 A -e  -       -               Contact person, last name
306       95  24 A -e  -       -               Contact person, first name
307      121  10 N -e  -       -               Contact person, phone number
308      133   2 N Me  -       -               Invoice type
309      137   2 N Me  -       -               Invoicing mode
310      141   5 N -e  -       -               Error percentage (two implied decimals)
311      148   2 N -e  -       -               Rejection type (01 blocking errors, 02 above 5 %)
312      152 459 X -   -       -               Reserved
"""

SEGMENT_300_STUB = """
300        1   6 A -e  -       -               Name of the acknowledged message
301        9 152 X -   -       -               Reserved
"""

#: Positions 351-800 of a record echoed in 920098/920099/920900 (here from 1).
EXTENSION = """
351        1   3 N -   -       -               Sending number
354        4   8 N -   -       -               Creation date of the sending
362       12   6 N -   -       -               Invoiced year and month
368       18   3 N -   -       -               Mutuality of affiliation
371       21  24 X -   -       -               Filler
395       45  12 N -   -       -               Third-party payer number
407       57  50 X -   -       -               Not decoded
457      107   1 A -   -       -               Rejection letter 1
458      108   6 N -   -       -               Rejection code 1
464      114   1 A -   -       -               Rejection letter 2
465      115   6 N -   -       -               Rejection code 2
471      121   1 A -   -       -               Rejection letter 3
472      122   6 N -   -       -               Rejection code 3
114      128  12 S -   -       -               Amount accepted (zone 114)
115      140  12 S -   -       -               Amount refused (zone 115)
116      152  12 S -   -       -               Zone 116
117      164   7 N -   -       -               Zone 117
118      171   1 N -   -       -               Zone 118
522      172  12 X -   -       -               Insurer result
534      184 200 A -   -       -               Comment on the error codes
734      384  61 X -   -       -               Reserved
795      445   6 N -   -       -               Index
"""

RECORD_91 = """
400        1   2 N Me  -       91              Record type
401        5   3 N Me  -       -               Mutuality number
402       10  12 N -e  -       -               Summary invoice number
404       24  12 S -e  -       -               Amount requested, account A
406       38  12 S -e  -       -               Amount requested, account B
408       52  12 S -e  -       -               Total requested
409       66   8 N -e  -       -               Number of records
410       76   2 N -e  -       -               Control number of the mutuality
412       80  12 S -e  -       -               Amount accepted, account A
414       94  12 S -e  -       -               Amount refused, account A
416      108  12 S -e  -       -               Amount accepted, account B
418      122  12 S -e  -       -               Amount refused, account B
420      136  12 S -e  -       -               Total accepted
422      150  12 S -e  -       -               Total refused
423      164  22 A -e  -       -               Payment reference, account A
424      188  22 A -e  -       -               Payment reference, account B
425      212  42 X -   -       -               Account C amounts (blank, as in the replies)
426      254  22 A -e  -       -               Payment reference, account C
427      278 523 X -   -       -               Reserved
"""

RECORD_92 = """
500        1   2 N Me  -       92              Record type
501        5   3 N Me  -       -               Federation code
502       10  12 N -e  -       -               Not used
504       24  12 S -e  -       -               Total requested, account A
506       38  12 S -e  -       -               Total requested, account B
508       52  12 S -e  -       -               Total requested
509       66   8 N -e  -       -               Number of records
510       76   2 N -e  -       -               Sending control number
512       80  12 S -e  -       -               Total accepted, account A
514       94  12 S -e  -       -               Total refused, account A
516      108  12 S -e  -       -               Total accepted, account B
518      122  12 S -e  -       -               Total refused, account B
520      136  12 S -e  -       -               Grand total accepted
522      150  12 S -e  -       -               Grand total refused
523      164 637 X -   -       -               Reserved
"""

#: The parts of the answer messages, keyed like :data:`SENDING`.
REPLY = {
    "300x": (610, SEGMENT_300_REPLY),
    "300s": (160, SEGMENT_300_STUB),
    "ext": (450, EXTENSION),
    "91": (800, RECORD_91),
    "92": (800, RECORD_92),
}
