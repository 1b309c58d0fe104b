-- 010_code_tables.sql - code tables with Dutch (and English) labels and sort
-- order, so that the published figures can be shown without a manual: what a BI
-- tool, a CSV export or the dashboard (swi-dashboard) puts next to a code.
--
--   swi_pub.provincies            the 12 provinces (CBS codes PV20-PV31)
--   swi_pub.arbeidsmarktregios    the 35 labour-market regions of 2024 (AMxx)
--   swi_pub.gemeenten             the 342 gemeenten of 2024 with region and province, and the 4
--                                 dissolved since 2022 with their successor (indicators.md §7)
--   swi_pub.dimensies             every dimension a breakdown uses, with its label
--   swi_pub.categorieen           every category of every dimension (also the gemeenten,
--                                 regions and nationalities) with label and sort order; the
--                                 margin '*' is 'Totaal'
--   swi_pub.tabellen              every breakdown: family, title, its dimensions, typed view
--   swi_pub.maten                 every measure: label and unit
--
-- Sources: gemeente and region codes and names are transform/data/gemeenten_2024.csv (the
-- same list the pipeline validates against; test_published_schema.sh checks the two agree).
-- The province of each gemeente is CBS's municipal classification of 1 January 2024 (each
-- province's count checked against CBS: 10, 18, 12, 25, 6, 51, 26, 44, 50, 13, 56, 31), and
-- cross-checked against the boundaries in dashboard/web/geo/ (docs/dashboard.md, "Code
-- tables"). Category order is the order of indicators.md §6 (as in the published rows).
-- Labels are this project's wording, after the CBS SWI tables where those have one.

-- ---- provinces, regions, gemeenten ---------------------------------------------------------
CREATE TABLE swi_pub.provincies (
  code     text PRIMARY KEY CHECK (code ~ '^PV[0-9]{2}$'),
  naam     text NOT NULL UNIQUE,
  volgorde int  NOT NULL UNIQUE
);
COMMENT ON TABLE swi_pub.provincies IS
  'The 12 provinces with their CBS codes (PV20 Groningen ... PV31 Limburg), in CBS order.';
COMMENT ON COLUMN swi_pub.provincies.code IS 'CBS province code, e.g. PV27.';
COMMENT ON COLUMN swi_pub.provincies.naam IS 'Name of the province, e.g. Noord-Holland.';
COMMENT ON COLUMN swi_pub.provincies.volgorde IS 'Sort order (CBS order, north to south).';
INSERT INTO swi_pub.provincies (code, naam, volgorde) VALUES
  ('PV20', 'Groningen', 1), ('PV21', 'Fryslân', 2), ('PV22', 'Drenthe', 3),
  ('PV23', 'Overijssel', 4), ('PV24', 'Flevoland', 5), ('PV25', 'Gelderland', 6),
  ('PV26', 'Utrecht', 7), ('PV27', 'Noord-Holland', 8), ('PV28', 'Zuid-Holland', 9),
  ('PV29', 'Zeeland', 10), ('PV30', 'Noord-Brabant', 11), ('PV31', 'Limburg', 12);

CREATE TABLE swi_pub.arbeidsmarktregios (
  code     text PRIMARY KEY CHECK (code ~ '^AM[0-9]{2}$'),
  naam     text NOT NULL UNIQUE,
  volgorde int  NOT NULL UNIQUE
);
COMMENT ON TABLE swi_pub.arbeidsmarktregios IS
  'The 35 labour-market regions (arbeidsmarktregio''s) of 2024. A region may span provinces '
  '(e.g. FoodValley: Gelderland and Utrecht), so it has no province of its own.';
COMMENT ON COLUMN swi_pub.arbeidsmarktregios.code IS 'Region code, e.g. AM18 (as in the published figures).';
COMMENT ON COLUMN swi_pub.arbeidsmarktregios.naam IS 'Name of the region, e.g. Groot Amsterdam.';
COMMENT ON COLUMN swi_pub.arbeidsmarktregios.volgorde IS 'Sort order: by code, as the published categories.';
INSERT INTO swi_pub.arbeidsmarktregios (code, naam, volgorde)
SELECT code, naam, row_number() OVER (ORDER BY code) FROM (VALUES
  ('AM01', 'Groningen'),
  ('AM02', 'Friesland'),
  ('AM03', 'Drenthe'),
  ('AM05', 'Twente'),
  ('AM06', 'Veluwe Stedendriehoek'),
  ('AM07', 'Midden-Gelderland'),
  ('AM08', 'Rijk van Nijmegen'),
  ('AM09', 'Achterhoek'),
  ('AM10', 'Rivierenland'),
  ('AM11', 'Flevoland'),
  ('AM12', 'Gooi en Vechtstreek'),
  ('AM13', 'Midden-Utrecht'),
  ('AM14', 'Amersfoort'),
  ('AM15', 'Noord-Holland Noord'),
  ('AM17', 'Zaanstreek/Waterland'),
  ('AM18', 'Groot Amsterdam'),
  ('AM19', 'Holland Rijnland'),
  ('AM20', 'Midden-Holland'),
  ('AM21', 'Haaglanden'),
  ('AM22', 'Rijnmond'),
  ('AM23', 'Drechtsteden'),
  ('AM24', 'Zeeland'),
  ('AM25', 'West-Brabant'),
  ('AM26', 'Midden-Brabant'),
  ('AM27', 'Noordoost-Brabant'),
  ('AM28', 'Zuidoost-Brabant'),
  ('AM29', 'Noord-Limburg'),
  ('AM30', 'Zuid-Limburg'),
  ('AM32', 'Helmond-De Peel'),
  ('AM33', 'Midden-Limburg'),
  ('AM34', 'Zuid-Holland Centraal'),
  ('AM35', 'Gorinchem'),
  ('AM36', 'Regio Zwolle'),
  ('AM37', 'Zuid-Kennemerland en IJmond'),
  ('AM38', 'FoodValley')
) AS r(code, naam);

CREATE TABLE swi_pub.gemeenten (
  code              text PRIMARY KEY CHECK (code ~ '^GM[0-9]{4}$'),
  naam              text NOT NULL,
  arbeidsmarktregio text NOT NULL REFERENCES swi_pub.arbeidsmarktregios (code),
  provincie         text NOT NULL REFERENCES swi_pub.provincies (code),
  laatste_dag       date,
  opvolger          text REFERENCES swi_pub.gemeenten (code),
  volgorde          int  NOT NULL UNIQUE,
  CONSTRAINT gemeenten_opgeheven CHECK ((laatste_dag IS NULL) = (opvolger IS NULL))
);
COMMENT ON TABLE swi_pub.gemeenten IS
  'Gemeenten: the 342 of 2024 (as in transform/data/gemeenten_2024.csv) with their labour-market region '
  'and province, and the 4 dissolved since 2022 with their last day and successor. A dissolved gemeente '
  'counts as its successor in every figure (indicators.md §7), so the figures only hold 2024 codes.';
COMMENT ON COLUMN swi_pub.gemeenten.code IS 'CBS gemeente code, e.g. GM0363 (as in the published figures).';
COMMENT ON COLUMN swi_pub.gemeenten.naam IS 'Name, e.g. Amsterdam.';
COMMENT ON COLUMN swi_pub.gemeenten.arbeidsmarktregio IS
  'Labour-market region of 2024 (swi_pub.arbeidsmarktregios); for a dissolved gemeente its successor''s.';
COMMENT ON COLUMN swi_pub.gemeenten.provincie IS 'Province (swi_pub.provincies).';
COMMENT ON COLUMN swi_pub.gemeenten.laatste_dag IS 'Last day of a dissolved gemeente; NULL for the 2024 gemeenten.';
COMMENT ON COLUMN swi_pub.gemeenten.opvolger IS 'Successor of a dissolved gemeente; NULL for the 2024 gemeenten.';
COMMENT ON COLUMN swi_pub.gemeenten.volgorde IS 'Sort order: by code (category order of the figures), dissolved ones last.';
INSERT INTO swi_pub.gemeenten (code, naam, arbeidsmarktregio, provincie, volgorde)
SELECT code, naam, regio, provincie, row_number() OVER (ORDER BY code) FROM (VALUES
  ('GM0014', 'Groningen', 'AM01', 'PV20'),
  ('GM0034', 'Almere', 'AM11', 'PV24'),
  ('GM0037', 'Stadskanaal', 'AM01', 'PV20'),
  ('GM0047', 'Veendam', 'AM01', 'PV20'),
  ('GM0050', 'Zeewolde', 'AM06', 'PV24'),
  ('GM0059', 'Achtkarspelen', 'AM02', 'PV21'),
  ('GM0060', 'Ameland', 'AM02', 'PV21'),
  ('GM0072', 'Harlingen', 'AM02', 'PV21'),
  ('GM0074', 'Heerenveen', 'AM02', 'PV21'),
  ('GM0080', 'Leeuwarden', 'AM02', 'PV21'),
  ('GM0085', 'Ooststellingwerf', 'AM02', 'PV21'),
  ('GM0086', 'Opsterland', 'AM02', 'PV21'),
  ('GM0088', 'Schiermonnikoog', 'AM02', 'PV21'),
  ('GM0090', 'Smallingerland', 'AM02', 'PV21'),
  ('GM0093', 'Terschelling', 'AM02', 'PV21'),
  ('GM0096', 'Vlieland', 'AM02', 'PV21'),
  ('GM0098', 'Weststellingwerf', 'AM02', 'PV21'),
  ('GM0106', 'Assen', 'AM01', 'PV22'),
  ('GM0109', 'Coevorden', 'AM03', 'PV22'),
  ('GM0114', 'Emmen', 'AM03', 'PV22'),
  ('GM0118', 'Hoogeveen', 'AM03', 'PV22'),
  ('GM0119', 'Meppel', 'AM36', 'PV22'),
  ('GM0141', 'Almelo', 'AM05', 'PV23'),
  ('GM0147', 'Borne', 'AM05', 'PV23'),
  ('GM0148', 'Dalfsen', 'AM36', 'PV23'),
  ('GM0150', 'Deventer', 'AM06', 'PV23'),
  ('GM0153', 'Enschede', 'AM05', 'PV23'),
  ('GM0158', 'Haaksbergen', 'AM05', 'PV23'),
  ('GM0160', 'Hardenberg', 'AM36', 'PV23'),
  ('GM0163', 'Hellendoorn', 'AM05', 'PV23'),
  ('GM0164', 'Hengelo (O.)', 'AM05', 'PV23'),
  ('GM0166', 'Kampen', 'AM36', 'PV23'),
  ('GM0168', 'Losser', 'AM05', 'PV23'),
  ('GM0171', 'Noordoostpolder', 'AM11', 'PV24'),
  ('GM0173', 'Oldenzaal', 'AM05', 'PV23'),
  ('GM0175', 'Ommen', 'AM36', 'PV23'),
  ('GM0177', 'Raalte', 'AM36', 'PV23'),
  ('GM0180', 'Staphorst', 'AM36', 'PV23'),
  ('GM0183', 'Tubbergen', 'AM05', 'PV23'),
  ('GM0184', 'Urk', 'AM11', 'PV24'),
  ('GM0189', 'Wierden', 'AM05', 'PV23'),
  ('GM0193', 'Zwolle', 'AM36', 'PV23'),
  ('GM0197', 'Aalten', 'AM09', 'PV25'),
  ('GM0200', 'Apeldoorn', 'AM06', 'PV25'),
  ('GM0202', 'Arnhem', 'AM07', 'PV25'),
  ('GM0203', 'Barneveld', 'AM38', 'PV25'),
  ('GM0209', 'Beuningen', 'AM08', 'PV25'),
  ('GM0213', 'Brummen', 'AM06', 'PV25'),
  ('GM0214', 'Buren', 'AM10', 'PV25'),
  ('GM0216', 'Culemborg', 'AM10', 'PV25'),
  ('GM0221', 'Doesburg', 'AM07', 'PV25'),
  ('GM0222', 'Doetinchem', 'AM09', 'PV25'),
  ('GM0225', 'Druten', 'AM08', 'PV25'),
  ('GM0226', 'Duiven', 'AM07', 'PV25'),
  ('GM0228', 'Ede', 'AM38', 'PV25'),
  ('GM0230', 'Elburg', 'AM36', 'PV25'),
  ('GM0232', 'Epe', 'AM06', 'PV25'),
  ('GM0233', 'Ermelo', 'AM06', 'PV25'),
  ('GM0243', 'Harderwijk', 'AM06', 'PV25'),
  ('GM0244', 'Hattem', 'AM36', 'PV25'),
  ('GM0246', 'Heerde', 'AM06', 'PV25'),
  ('GM0252', 'Heumen', 'AM08', 'PV25'),
  ('GM0262', 'Lochem', 'AM06', 'PV25'),
  ('GM0263', 'Maasdriel', 'AM10', 'PV25'),
  ('GM0267', 'Nijkerk', 'AM14', 'PV25'),
  ('GM0268', 'Nijmegen', 'AM08', 'PV25'),
  ('GM0269', 'Oldebroek', 'AM36', 'PV25'),
  ('GM0273', 'Putten', 'AM06', 'PV25'),
  ('GM0274', 'Renkum', 'AM38', 'PV25'),
  ('GM0275', 'Rheden', 'AM07', 'PV25'),
  ('GM0277', 'Rozendaal', 'AM07', 'PV25'),
  ('GM0279', 'Scherpenzeel', 'AM38', 'PV25'),
  ('GM0281', 'Tiel', 'AM10', 'PV25'),
  ('GM0285', 'Voorst', 'AM06', 'PV25'),
  ('GM0289', 'Wageningen', 'AM38', 'PV25'),
  ('GM0293', 'Westervoort', 'AM07', 'PV25'),
  ('GM0294', 'Winterswijk', 'AM09', 'PV25'),
  ('GM0296', 'Wijchen', 'AM08', 'PV25'),
  ('GM0297', 'Zaltbommel', 'AM10', 'PV25'),
  ('GM0299', 'Zevenaar', 'AM07', 'PV25'),
  ('GM0301', 'Zutphen', 'AM06', 'PV25'),
  ('GM0302', 'Nunspeet', 'AM36', 'PV25'),
  ('GM0303', 'Dronten', 'AM11', 'PV24'),
  ('GM0307', 'Amersfoort', 'AM14', 'PV26'),
  ('GM0308', 'Baarn', 'AM14', 'PV26'),
  ('GM0310', 'De Bilt', 'AM13', 'PV26'),
  ('GM0312', 'Bunnik', 'AM13', 'PV26'),
  ('GM0313', 'Bunschoten', 'AM14', 'PV26'),
  ('GM0317', 'Eemnes', 'AM12', 'PV26'),
  ('GM0321', 'Houten', 'AM13', 'PV26'),
  ('GM0327', 'Leusden', 'AM14', 'PV26'),
  ('GM0331', 'Lopik', 'AM13', 'PV26'),
  ('GM0335', 'Montfoort', 'AM13', 'PV26'),
  ('GM0339', 'Renswoude', 'AM38', 'PV26'),
  ('GM0340', 'Rhenen', 'AM38', 'PV26'),
  ('GM0342', 'Soest', 'AM14', 'PV26'),
  ('GM0344', 'Utrecht', 'AM13', 'PV26'),
  ('GM0345', 'Veenendaal', 'AM38', 'PV26'),
  ('GM0351', 'Woudenberg', 'AM14', 'PV26'),
  ('GM0352', 'Wijk bij Duurstede', 'AM13', 'PV26'),
  ('GM0353', 'IJsselstein', 'AM13', 'PV26'),
  ('GM0355', 'Zeist', 'AM13', 'PV26'),
  ('GM0356', 'Nieuwegein', 'AM13', 'PV26'),
  ('GM0358', 'Aalsmeer', 'AM18', 'PV27'),
  ('GM0361', 'Alkmaar', 'AM15', 'PV27'),
  ('GM0362', 'Amstelveen', 'AM18', 'PV27'),
  ('GM0363', 'Amsterdam', 'AM18', 'PV27'),
  ('GM0373', 'Bergen (NH.)', 'AM15', 'PV27'),
  ('GM0375', 'Beverwijk', 'AM37', 'PV27'),
  ('GM0376', 'Blaricum', 'AM12', 'PV27'),
  ('GM0377', 'Bloemendaal', 'AM37', 'PV27'),
  ('GM0383', 'Castricum', 'AM15', 'PV27'),
  ('GM0384', 'Diemen', 'AM18', 'PV27'),
  ('GM0385', 'Edam-Volendam', 'AM17', 'PV27'),
  ('GM0388', 'Enkhuizen', 'AM15', 'PV27'),
  ('GM0392', 'Haarlem', 'AM37', 'PV27'),
  ('GM0394', 'Haarlemmermeer', 'AM18', 'PV27'),
  ('GM0396', 'Heemskerk', 'AM37', 'PV27'),
  ('GM0397', 'Heemstede', 'AM37', 'PV27'),
  ('GM0399', 'Heiloo', 'AM15', 'PV27'),
  ('GM0400', 'Den Helder', 'AM15', 'PV27'),
  ('GM0402', 'Hilversum', 'AM12', 'PV27'),
  ('GM0405', 'Hoorn', 'AM15', 'PV27'),
  ('GM0406', 'Huizen', 'AM12', 'PV27'),
  ('GM0415', 'Landsmeer', 'AM17', 'PV27'),
  ('GM0417', 'Laren (NH.)', 'AM12', 'PV27'),
  ('GM0420', 'Medemblik', 'AM15', 'PV27'),
  ('GM0431', 'Oostzaan', 'AM17', 'PV27'),
  ('GM0432', 'Opmeer', 'AM15', 'PV27'),
  ('GM0437', 'Ouder-Amstel', 'AM18', 'PV27'),
  ('GM0439', 'Purmerend', 'AM17', 'PV27'),
  ('GM0441', 'Schagen', 'AM15', 'PV27'),
  ('GM0448', 'Texel', 'AM15', 'PV27'),
  ('GM0450', 'Uitgeest', 'AM15', 'PV27'),
  ('GM0451', 'Uithoorn', 'AM18', 'PV27'),
  ('GM0453', 'Velsen', 'AM37', 'PV27'),
  ('GM0473', 'Zandvoort', 'AM37', 'PV27'),
  ('GM0479', 'Zaanstad', 'AM17', 'PV27'),
  ('GM0482', 'Alblasserdam', 'AM23', 'PV28'),
  ('GM0484', 'Alphen aan den Rijn', 'AM19', 'PV28'),
  ('GM0489', 'Barendrecht', 'AM22', 'PV28'),
  ('GM0498', 'Drechterland', 'AM15', 'PV27'),
  ('GM0502', 'Capelle aan den IJssel', 'AM22', 'PV28'),
  ('GM0503', 'Delft', 'AM21', 'PV28'),
  ('GM0505', 'Dordrecht', 'AM23', 'PV28'),
  ('GM0512', 'Gorinchem', 'AM35', 'PV28'),
  ('GM0513', 'Gouda', 'AM20', 'PV28'),
  ('GM0518', '''s-Gravenhage', 'AM21', 'PV28'),
  ('GM0523', 'Hardinxveld-Giessendam', 'AM23', 'PV28'),
  ('GM0531', 'Hendrik-Ido-Ambacht', 'AM23', 'PV28'),
  ('GM0532', 'Stede Broec', 'AM15', 'PV27'),
  ('GM0534', 'Hillegom', 'AM19', 'PV28'),
  ('GM0537', 'Katwijk', 'AM19', 'PV28'),
  ('GM0542', 'Krimpen aan den IJssel', 'AM22', 'PV28'),
  ('GM0546', 'Leiden', 'AM19', 'PV28'),
  ('GM0547', 'Leiderdorp', 'AM19', 'PV28'),
  ('GM0553', 'Lisse', 'AM19', 'PV28'),
  ('GM0556', 'Maassluis', 'AM22', 'PV28'),
  ('GM0569', 'Nieuwkoop', 'AM19', 'PV28'),
  ('GM0575', 'Noordwijk', 'AM19', 'PV28'),
  ('GM0579', 'Oegstgeest', 'AM19', 'PV28'),
  ('GM0589', 'Oudewater', 'AM13', 'PV26'),
  ('GM0590', 'Papendrecht', 'AM23', 'PV28'),
  ('GM0597', 'Ridderkerk', 'AM22', 'PV28'),
  ('GM0599', 'Rotterdam', 'AM22', 'PV28'),
  ('GM0603', 'Rijswijk (ZH.)', 'AM21', 'PV28'),
  ('GM0606', 'Schiedam', 'AM22', 'PV28'),
  ('GM0610', 'Sliedrecht', 'AM23', 'PV28'),
  ('GM0613', 'Albrandswaard', 'AM22', 'PV28'),
  ('GM0622', 'Vlaardingen', 'AM22', 'PV28'),
  ('GM0626', 'Voorschoten', 'AM34', 'PV28'),
  ('GM0627', 'Waddinxveen', 'AM20', 'PV28'),
  ('GM0629', 'Wassenaar', 'AM34', 'PV28'),
  ('GM0632', 'Woerden', 'AM13', 'PV26'),
  ('GM0637', 'Zoetermeer', 'AM34', 'PV28'),
  ('GM0638', 'Zoeterwoude', 'AM19', 'PV28'),
  ('GM0642', 'Zwijndrecht', 'AM23', 'PV28'),
  ('GM0654', 'Borsele', 'AM24', 'PV29'),
  ('GM0664', 'Goes', 'AM24', 'PV29'),
  ('GM0668', 'West Maas en Waal', 'AM10', 'PV25'),
  ('GM0677', 'Hulst', 'AM24', 'PV29'),
  ('GM0678', 'Kapelle', 'AM24', 'PV29'),
  ('GM0687', 'Middelburg (Z.)', 'AM24', 'PV29'),
  ('GM0703', 'Reimerswaal', 'AM24', 'PV29'),
  ('GM0715', 'Terneuzen', 'AM24', 'PV29'),
  ('GM0716', 'Tholen', 'AM24', 'PV29'),
  ('GM0717', 'Veere', 'AM24', 'PV29'),
  ('GM0718', 'Vlissingen', 'AM24', 'PV29'),
  ('GM0736', 'De Ronde Venen', 'AM18', 'PV26'),
  ('GM0737', 'Tytsjerksteradiel', 'AM02', 'PV21'),
  ('GM0743', 'Asten', 'AM32', 'PV30'),
  ('GM0744', 'Baarle-Nassau', 'AM26', 'PV30'),
  ('GM0748', 'Bergen op Zoom', 'AM25', 'PV30'),
  ('GM0753', 'Best', 'AM28', 'PV30'),
  ('GM0755', 'Boekel', 'AM27', 'PV30'),
  ('GM0757', 'Boxtel', 'AM27', 'PV30'),
  ('GM0758', 'Breda', 'AM25', 'PV30'),
  ('GM0762', 'Deurne', 'AM32', 'PV30'),
  ('GM0765', 'Pekela', 'AM01', 'PV20'),
  ('GM0766', 'Dongen', 'AM26', 'PV30'),
  ('GM0770', 'Eersel', 'AM28', 'PV30'),
  ('GM0772', 'Eindhoven', 'AM28', 'PV30'),
  ('GM0777', 'Etten-Leur', 'AM25', 'PV30'),
  ('GM0779', 'Geertruidenberg', 'AM25', 'PV30'),
  ('GM0784', 'Gilze en Rijen', 'AM26', 'PV30'),
  ('GM0785', 'Goirle', 'AM26', 'PV30'),
  ('GM0794', 'Helmond', 'AM32', 'PV30'),
  ('GM0796', '''s-Hertogenbosch', 'AM27', 'PV30'),
  ('GM0797', 'Heusden', 'AM26', 'PV30'),
  ('GM0798', 'Hilvarenbeek', 'AM26', 'PV30'),
  ('GM0809', 'Loon op Zand', 'AM26', 'PV30'),
  ('GM0820', 'Nuenen, Gerwen en Nederwetten', 'AM28', 'PV30'),
  ('GM0823', 'Oirschot', 'AM28', 'PV30'),
  ('GM0824', 'Oisterwijk', 'AM26', 'PV30'),
  ('GM0826', 'Oosterhout', 'AM25', 'PV30'),
  ('GM0828', 'Oss', 'AM27', 'PV30'),
  ('GM0840', 'Rucphen', 'AM25', 'PV30'),
  ('GM0845', 'Sint-Michielsgestel', 'AM27', 'PV30'),
  ('GM0847', 'Someren', 'AM32', 'PV30'),
  ('GM0848', 'Son en Breugel', 'AM28', 'PV30'),
  ('GM0851', 'Steenbergen', 'AM25', 'PV30'),
  ('GM0852', 'Waterland', 'AM17', 'PV27'),
  ('GM0855', 'Tilburg', 'AM26', 'PV30'),
  ('GM0858', 'Valkenswaard', 'AM28', 'PV30'),
  ('GM0861', 'Veldhoven', 'AM28', 'PV30'),
  ('GM0865', 'Vught', 'AM27', 'PV30'),
  ('GM0866', 'Waalre', 'AM28', 'PV30'),
  ('GM0867', 'Waalwijk', 'AM26', 'PV30'),
  ('GM0873', 'Woensdrecht', 'AM25', 'PV30'),
  ('GM0879', 'Zundert', 'AM25', 'PV30'),
  ('GM0880', 'Wormerland', 'AM17', 'PV27'),
  ('GM0882', 'Landgraaf', 'AM30', 'PV31'),
  ('GM0888', 'Beek (L.)', 'AM30', 'PV31'),
  ('GM0889', 'Beesel', 'AM29', 'PV31'),
  ('GM0893', 'Bergen (L.)', 'AM29', 'PV31'),
  ('GM0899', 'Brunssum', 'AM30', 'PV31'),
  ('GM0907', 'Gennep', 'AM29', 'PV31'),
  ('GM0917', 'Heerlen', 'AM30', 'PV31'),
  ('GM0928', 'Kerkrade', 'AM30', 'PV31'),
  ('GM0935', 'Maastricht', 'AM30', 'PV31'),
  ('GM0938', 'Meerssen', 'AM30', 'PV31'),
  ('GM0944', 'Mook en Middelaar', 'AM08', 'PV31'),
  ('GM0946', 'Nederweert', 'AM33', 'PV31'),
  ('GM0957', 'Roermond', 'AM33', 'PV31'),
  ('GM0965', 'Simpelveld', 'AM30', 'PV31'),
  ('GM0971', 'Stein (L.)', 'AM30', 'PV31'),
  ('GM0981', 'Vaals', 'AM30', 'PV31'),
  ('GM0983', 'Venlo', 'AM29', 'PV31'),
  ('GM0984', 'Venray', 'AM29', 'PV31'),
  ('GM0986', 'Voerendaal', 'AM30', 'PV31'),
  ('GM0988', 'Weert', 'AM33', 'PV31'),
  ('GM0994', 'Valkenburg aan de Geul', 'AM30', 'PV31'),
  ('GM0995', 'Lelystad', 'AM11', 'PV24'),
  ('GM1507', 'Horst aan de Maas', 'AM29', 'PV31'),
  ('GM1509', 'Oude IJsselstreek', 'AM09', 'PV25'),
  ('GM1525', 'Teylingen', 'AM19', 'PV28'),
  ('GM1581', 'Utrechtse Heuvelrug', 'AM13', 'PV26'),
  ('GM1586', 'Oost Gelre', 'AM09', 'PV25'),
  ('GM1598', 'Koggenland', 'AM15', 'PV27'),
  ('GM1621', 'Lansingerland', 'AM34', 'PV28'),
  ('GM1640', 'Leudal', 'AM33', 'PV31'),
  ('GM1641', 'Maasgouw', 'AM33', 'PV31'),
  ('GM1652', 'Gemert-Bakel', 'AM32', 'PV30'),
  ('GM1655', 'Halderberge', 'AM25', 'PV30'),
  ('GM1658', 'Heeze-Leende', 'AM28', 'PV30'),
  ('GM1659', 'Laarbeek', 'AM32', 'PV30'),
  ('GM1667', 'Reusel-De Mierden', 'AM28', 'PV30'),
  ('GM1669', 'Roerdalen', 'AM33', 'PV31'),
  ('GM1674', 'Roosendaal', 'AM25', 'PV30'),
  ('GM1676', 'Schouwen-Duiveland', 'AM24', 'PV29'),
  ('GM1680', 'Aa en Hunze', 'AM01', 'PV22'),
  ('GM1681', 'Borger-Odoorn', 'AM03', 'PV22'),
  ('GM1690', 'De Wolden', 'AM03', 'PV22'),
  ('GM1695', 'Noord-Beveland', 'AM24', 'PV29'),
  ('GM1696', 'Wijdemeren', 'AM12', 'PV27'),
  ('GM1699', 'Noordenveld', 'AM01', 'PV22'),
  ('GM1700', 'Twenterand', 'AM05', 'PV23'),
  ('GM1701', 'Westerveld', 'AM36', 'PV22'),
  ('GM1705', 'Lingewaard', 'AM07', 'PV25'),
  ('GM1706', 'Cranendonck', 'AM33', 'PV30'),
  ('GM1708', 'Steenwijkerland', 'AM36', 'PV23'),
  ('GM1709', 'Moerdijk', 'AM25', 'PV30'),
  ('GM1711', 'Echt-Susteren', 'AM33', 'PV31'),
  ('GM1714', 'Sluis', 'AM24', 'PV29'),
  ('GM1719', 'Drimmelen', 'AM25', 'PV30'),
  ('GM1721', 'Bernheze', 'AM27', 'PV30'),
  ('GM1723', 'Alphen-Chaam', 'AM26', 'PV30'),
  ('GM1724', 'Bergeijk', 'AM28', 'PV30'),
  ('GM1728', 'Bladel', 'AM28', 'PV30'),
  ('GM1729', 'Gulpen-Wittem', 'AM30', 'PV31'),
  ('GM1730', 'Tynaarlo', 'AM01', 'PV22'),
  ('GM1731', 'Midden-Drenthe', 'AM03', 'PV22'),
  ('GM1734', 'Overbetuwe', 'AM07', 'PV25'),
  ('GM1735', 'Hof van Twente', 'AM05', 'PV23'),
  ('GM1740', 'Neder-Betuwe', 'AM10', 'PV25'),
  ('GM1742', 'Rijssen-Holten', 'AM05', 'PV23'),
  ('GM1771', 'Geldrop-Mierlo', 'AM32', 'PV30'),
  ('GM1773', 'Olst-Wijhe', 'AM36', 'PV23'),
  ('GM1774', 'Dinkelland', 'AM05', 'PV23'),
  ('GM1783', 'Westland', 'AM21', 'PV28'),
  ('GM1842', 'Midden-Delfland', 'AM21', 'PV28'),
  ('GM1859', 'Berkelland', 'AM09', 'PV25'),
  ('GM1876', 'Bronckhorst', 'AM09', 'PV25'),
  ('GM1883', 'Sittard-Geleen', 'AM30', 'PV31'),
  ('GM1884', 'Kaag en Braassem', 'AM19', 'PV28'),
  ('GM1891', 'Dantumadiel', 'AM02', 'PV21'),
  ('GM1892', 'Zuidplas', 'AM22', 'PV28'),
  ('GM1894', 'Peel en Maas', 'AM29', 'PV31'),
  ('GM1895', 'Oldambt', 'AM01', 'PV20'),
  ('GM1896', 'Zwartewaterland', 'AM36', 'PV23'),
  ('GM1900', 'Súdwest-Fryslân', 'AM02', 'PV21'),
  ('GM1901', 'Bodegraven-Reeuwijk', 'AM20', 'PV28'),
  ('GM1903', 'Eijsden-Margraten', 'AM30', 'PV31'),
  ('GM1904', 'Stichtse Vecht', 'AM13', 'PV26'),
  ('GM1911', 'Hollands Kroon', 'AM15', 'PV27'),
  ('GM1916', 'Leidschendam-Voorburg', 'AM34', 'PV28'),
  ('GM1924', 'Goeree-Overflakkee', 'AM22', 'PV28'),
  ('GM1926', 'Pijnacker-Nootdorp', 'AM34', 'PV28'),
  ('GM1930', 'Nissewaard', 'AM22', 'PV28'),
  ('GM1931', 'Krimpenerwaard', 'AM20', 'PV28'),
  ('GM1940', 'De Fryske Marren', 'AM02', 'PV21'),
  ('GM1942', 'Gooise Meren', 'AM12', 'PV27'),
  ('GM1945', 'Berg en Dal', 'AM08', 'PV25'),
  ('GM1948', 'Meierijstad', 'AM27', 'PV30'),
  ('GM1949', 'Waadhoeke', 'AM02', 'PV21'),
  ('GM1950', 'Westerwolde', 'AM01', 'PV20'),
  ('GM1952', 'Midden-Groningen', 'AM01', 'PV20'),
  ('GM1954', 'Beekdaelen', 'AM30', 'PV31'),
  ('GM1955', 'Montferland', 'AM09', 'PV25'),
  ('GM1959', 'Altena', 'AM25', 'PV30'),
  ('GM1960', 'West Betuwe', 'AM10', 'PV25'),
  ('GM1961', 'Vijfheerenlanden', 'AM35', 'PV26'),
  ('GM1963', 'Hoeksche Waard', 'AM22', 'PV28'),
  ('GM1966', 'Het Hogeland', 'AM01', 'PV20'),
  ('GM1969', 'Westerkwartier', 'AM01', 'PV20'),
  ('GM1970', 'Noardeast-Fryslân', 'AM02', 'PV21'),
  ('GM1978', 'Molenlanden', 'AM35', 'PV28'),
  ('GM1979', 'Eemsdelta', 'AM01', 'PV20'),
  ('GM1980', 'Dijk en Waard', 'AM15', 'PV27'),
  ('GM1982', 'Land van Cuijk', 'AM27', 'PV30'),
  ('GM1991', 'Maashorst', 'AM27', 'PV30'),
  ('GM1992', 'Voorne aan Zee', 'AM22', 'PV28')
) AS g(code, naam, regio, provincie);
INSERT INTO swi_pub.gemeenten (code, naam, arbeidsmarktregio, provincie, laatste_dag, opvolger, volgorde)
SELECT d.code, d.naam, s.arbeidsmarktregio, s.provincie, d.laatste_dag::date, d.opvolger, 1000 + d.n
  FROM (VALUES ('GM0457', 'Weesp', '2022-03-23', 'GM0363', 1),
               ('GM0501', 'Brielle', '2022-12-31', 'GM1992', 2),
               ('GM0530', 'Hellevoetsluis', '2022-12-31', 'GM1992', 3),
               ('GM0614', 'Westvoorne', '2022-12-31', 'GM1992', 4)) AS d(code, naam, laatste_dag, opvolger, n)
  JOIN swi_pub.gemeenten s ON s.code = d.opvolger;

-- ---- dimensions and their categories --------------------------------------------------------
CREATE TABLE swi_pub.dimensies (
  dimensie     text PRIMARY KEY,
  label        text NOT NULL,
  label_en     text NOT NULL,
  omschrijving text NOT NULL
);
COMMENT ON TABLE swi_pub.dimensies IS
  'Every dimension of the published figures (cohort, doelgroep and the dim1_name/dim2_name/dim3_name values '
  'of swi_pub.indicator_values) with a label; the categories are in swi_pub.categorieen.';
COMMENT ON COLUMN swi_pub.dimensies.dimensie IS 'Dimension name as in indicator_values.dimN_name (or cohort, doelgroep).';
COMMENT ON COLUMN swi_pub.dimensies.label IS 'Dutch label, e.g. Leeftijdsklasse.';
COMMENT ON COLUMN swi_pub.dimensies.label_en IS 'English label.';
COMMENT ON COLUMN swi_pub.dimensies.omschrijving IS 'What the dimension is, in Dutch (indicators.md §3-§5).';
INSERT INTO swi_pub.dimensies (dimensie, label, label_en, omschrijving) VALUES
  ('cohort', 'Cohort', 'Cohort', 'Jaar waarin de inburgeringsplicht ontstond.'),
  ('doelgroep', 'Doelgroep', 'Target group', 'Doelgroep volgens DUO: asielmigranten (statushouders), gezinsmigranten, overige migranten.'),
  ('geslacht', 'Geslacht', 'Sex', 'Geslacht volgens de IND.'),
  ('leeftijdsklasse', 'Leeftijd', 'Age', 'Leeftijd in jaren bij het ontstaan van de plicht.'),
  ('jongere', 'Jongere', 'Young person', 'Jongere: hoogstens 28 jaar bij het ontstaan van de plicht.'),
  ('nationaliteit', 'Nationaliteit', 'Nationality', 'De vijf meest voorkomende nationaliteiten; de rest als Overig.'),
  ('gemeente', 'Gemeente', 'Municipality', 'Gemeente op de peildatum (laatste vestiging of verhuizing, anders de koppeling).'),
  ('arbeidsmarktregio', 'Arbeidsmarktregio', 'Labour-market region', 'Arbeidsmarktregio van de gemeente op de peildatum.'),
  ('vestiging_gemeente', 'Vestigingsgemeente', 'Municipality of settlement', 'Gemeente van de eerste vestiging.'),
  ('vestiging_arbeidsmarktregio', 'Arbeidsmarktregio (vestiging)', 'Labour-market region (settlement)', 'Arbeidsmarktregio van de vestigingsgemeente.'),
  ('fase', 'Fase', 'Stage', 'Fase van de inburgering op de peildatum; de eerste die van toepassing is.'),
  ('pip_termijn', 'PIP-termijn', 'PIP term', 'Wanneer het PIP werd vastgesteld, gerekend vanaf de start van de PIP-termijn (10 weken = 70 dagen).'),
  ('dagen_klasse', 'Duurklasse', 'Duration class', 'Dagen van verblijfsvergunning tot PIP, in klassen.'),
  ('leerroute', 'Leerroute', 'Learning route', 'Leerroute op de peildatum (laatste PIP of routewijziging).'),
  ('lbt_uitkomst', 'Uitkomst leerbaarheidstoets', 'Learnability test outcome', 'Uitkomst van de laatste leerbaarheidstoets.'),
  ('afstand_km', 'Afstand azc-gemeente', 'Distance reception centre - municipality', 'Afstand van het azc tot de gekoppelde gemeente.'),
  ('overplaatsingen', 'Overplaatsingen', 'Transfers', 'Aantal overplaatsingen tussen opvanglocaties.'),
  ('sector', 'Sector', 'Sector', 'Sector (SBI-sectie) van de baan op de peildatum.'),
  ('einde', 'Einde plicht', 'End of obligation', 'Hoe de inburgeringsplicht eindigde.'),
  ('onderdeel', 'Examenonderdeel', 'Exam component', 'Onderdeel van het inburgeringsexamen.'),
  ('niveau', 'Niveau', 'Level', 'Taalniveau van het examen (ERK).'),
  ('grond', 'Grond verlenging', 'Ground for extension', 'Grond van de termijnverlenging.');

CREATE TABLE swi_pub.categorieen (
  dimensie text NOT NULL REFERENCES swi_pub.dimensies (dimensie),
  code     text NOT NULL,
  label    text NOT NULL,
  label_en text NOT NULL,
  volgorde int  NOT NULL,
  PRIMARY KEY (dimensie, code),
  UNIQUE (dimensie, volgorde)
);
COMMENT ON TABLE swi_pub.categorieen IS
  'Every category of every dimension with its label and sort order: the value of indicator_values.dimN_value '
  '(or cohort, doelgroep) and what to show for it. Gemeenten, regions and nationalities are here too (their '
  'attributes are in swi_pub.gemeenten and swi_pub.arbeidsmarktregios). The margin ''*'' is Totaal and sorts last.';
COMMENT ON COLUMN swi_pub.categorieen.dimensie IS 'Dimension (swi_pub.dimensies).';
COMMENT ON COLUMN swi_pub.categorieen.code IS 'Category as published, e.g. B1, GM0363, 25-34, ONBEKEND, ''*''.';
COMMENT ON COLUMN swi_pub.categorieen.label IS 'Dutch label, e.g. B1-route, Amsterdam, 25 tot 35 jaar, Onbekend, Totaal.';
COMMENT ON COLUMN swi_pub.categorieen.label_en IS 'English label.';
COMMENT ON COLUMN swi_pub.categorieen.volgorde IS
  'Sort order within the dimension: the category order of indicators.md §6 (enumerations as listed, codes '
  'ascending, then Overig, Onbekend), the margin ''*'' last.';

INSERT INTO swi_pub.categorieen (dimensie, code, label, label_en, volgorde)
SELECT dimensie, code, label, label_en, n FROM (VALUES
  ('doelgroep', 'ASIEL', 'Asielmigranten', 'Asylum migrants', 1),
  ('doelgroep', 'GEZIN', 'Gezinsmigranten', 'Family migrants', 2),
  ('doelgroep', 'OVERIG', 'Overige migranten', 'Other migrants', 3),
  ('geslacht', 'M', 'Man', 'Male', 1),
  ('geslacht', 'V', 'Vrouw', 'Female', 2),
  ('geslacht', 'X', 'X', 'X', 3),
  ('geslacht', 'ONBEKEND', 'Onbekend', 'Unknown', 4),
  ('leeftijdsklasse', '<18', 'Jonger dan 18 jaar', 'Under 18', 1),
  ('leeftijdsklasse', '18-24', '18 tot 25 jaar', '18 to 24', 2),
  ('leeftijdsklasse', '25-34', '25 tot 35 jaar', '25 to 34', 3),
  ('leeftijdsklasse', '35-44', '35 tot 45 jaar', '35 to 44', 4),
  ('leeftijdsklasse', '45-54', '45 tot 55 jaar', '45 to 54', 5),
  ('leeftijdsklasse', '55+', '55 jaar of ouder', '55 and over', 6),
  ('leeftijdsklasse', 'ONBEKEND', 'Onbekend', 'Unknown', 7),
  ('jongere', 'JA', 'Jongere (t/m 28 jaar)', 'Young (28 or under)', 1),
  ('jongere', 'NEE', '29 jaar of ouder', '29 or over', 2),
  ('jongere', 'ONBEKEND', 'Onbekend', 'Unknown', 3),
  ('fase', 'voldaan', 'Plicht voldaan', 'Obligation fulfilled', 1),
  ('fase', 'ontheffing_vrijstelling', 'Ontheffing of vrijstelling', 'Exemption or dispensation', 2),
  ('fase', 'vervallen', 'Plicht vervallen', 'Obligation lapsed', 3),
  ('fase', 'pip_B1', 'PIP, B1-route', 'PIP, B1 route', 4),
  ('fase', 'pip_Z', 'PIP, Z-route', 'PIP, Z route', 5),
  ('fase', 'pip_ONDERWIJS', 'PIP, onderwijsroute', 'PIP, education route', 6),
  ('fase', 'pip_ONBEKEND', 'PIP, route onbekend', 'PIP, route unknown', 7),
  ('fase', 'in_opvang', 'In opvang, nog geen PIP', 'In reception, no PIP yet', 8),
  ('fase', 'brede_intake_gestart', 'Brede intake gestart', 'Broad intake started', 9),
  ('fase', 'gevestigd', 'Gevestigd, nog geen brede intake', 'Settled, no broad intake yet', 10),
  ('fase', 'overig', 'Overig', 'Other', 11),
  ('pip_termijn', 'binnen_10_weken', 'PIP binnen 10 weken', 'PIP within 10 weeks', 1),
  ('pip_termijn', 'na_10_weken', 'PIP na meer dan 10 weken', 'PIP after more than 10 weeks', 2),
  ('pip_termijn', 'voor_termijn', 'PIP vóór de termijn (in het azc)', 'PIP before the term (in reception)', 3),
  ('pip_termijn', 'geen_pip_einde', 'Geen PIP, plicht beëindigd', 'No PIP, obligation ended', 4),
  ('pip_termijn', 'geen_pip_tot_70_dagen', 'Nog geen PIP, tot 10 weken', 'No PIP yet, up to 10 weeks', 5),
  ('pip_termijn', 'geen_pip_meer_dan_70_dagen', 'Nog geen PIP, meer dan 10 weken', 'No PIP yet, over 10 weeks', 6),
  ('dagen_klasse', '<=168', 'Tot en met 24 weken', 'Up to 24 weeks', 1),
  ('dagen_klasse', '169-364', '24 weken tot 1 jaar', '24 weeks to 1 year', 2),
  ('dagen_klasse', '>=365', '1 jaar of langer', '1 year or more', 3),
  ('leerroute', 'B1', 'B1-route', 'B1 route', 1),
  ('leerroute', 'Z', 'Z-route', 'Z route', 2),
  ('leerroute', 'ONDERWIJS', 'Onderwijsroute', 'Education route', 3),
  ('leerroute', 'ONBEKEND', 'Onbekend', 'Unknown', 4),
  ('lbt_uitkomst', 'B1_HAALBAAR', 'B1 haalbaar', 'B1 feasible', 1),
  ('lbt_uitkomst', 'B1_NIET_HAALBAAR', 'B1 niet haalbaar', 'B1 not feasible', 2),
  ('afstand_km', '<20', 'Minder dan 20 km', 'Under 20 km', 1),
  ('afstand_km', '20-100', '20 tot en met 100 km', '20 to 100 km', 2),
  ('afstand_km', '>100', 'Meer dan 100 km', 'Over 100 km', 3),
  ('afstand_km', 'ONBEKEND', 'Onbekend', 'Unknown', 4),
  ('overplaatsingen', '0', 'Geen', 'None', 1),
  ('overplaatsingen', '1-2', '1 of 2', '1 or 2', 2),
  ('overplaatsingen', '3+', '3 of meer', '3 or more', 3),
  ('sector', 'A', 'Landbouw, bosbouw en visserij', 'Agriculture, forestry and fishing', 1),
  ('sector', 'B', 'Delfstoffenwinning', 'Mining and quarrying', 2),
  ('sector', 'C', 'Industrie', 'Manufacturing', 3),
  ('sector', 'D', 'Energievoorziening', 'Energy supply', 4),
  ('sector', 'E', 'Waterbedrijven en afvalbeheer', 'Water supply and waste management', 5),
  ('sector', 'F', 'Bouwnijverheid', 'Construction', 6),
  ('sector', 'G', 'Handel', 'Wholesale and retail trade', 7),
  ('sector', 'H', 'Vervoer en opslag', 'Transportation and storage', 8),
  ('sector', 'I', 'Horeca', 'Accommodation and food service', 9),
  ('sector', 'J', 'Informatie en communicatie', 'Information and communication', 10),
  ('sector', 'K', 'Financiële dienstverlening', 'Financial services', 11),
  ('sector', 'L', 'Verhuur en handel van onroerend goed', 'Real estate', 12),
  ('sector', 'M', 'Specialistische zakelijke diensten', 'Professional and technical services', 13),
  ('sector', 'N', 'Verhuur en overige zakelijke diensten (o.a. uitzendbureaus)', 'Administrative and support services (incl. temporary work agencies)', 14),
  ('sector', 'O', 'Openbaar bestuur en overheidsdiensten', 'Public administration', 15),
  ('sector', 'P', 'Onderwijs', 'Education', 16),
  ('sector', 'Q', 'Gezondheids- en welzijnszorg', 'Health and social work', 17),
  ('sector', 'R', 'Cultuur, sport en recreatie', 'Arts, sports and recreation', 18),
  ('sector', 'S', 'Overige dienstverlening', 'Other services', 19),
  ('sector', 'T', 'Huishoudens', 'Households', 20),
  ('sector', 'U', 'Extraterritoriale organisaties', 'Extraterritorial organisations', 21),
  ('sector', 'ONBEKEND', 'Onbekend', 'Unknown', 22),
  ('einde', 'voldaan', 'Voldaan', 'Fulfilled', 1),
  ('einde', 'ontheffing', 'Ontheffing', 'Exemption', 2),
  ('einde', 'vrijstelling', 'Vrijstelling', 'Dispensation', 3),
  ('einde', 'vervallen', 'Vervallen', 'Lapsed', 4),
  ('onderdeel', 'LEZEN', 'Lezen', 'Reading', 1),
  ('onderdeel', 'LUISTEREN', 'Luisteren', 'Listening', 2),
  ('onderdeel', 'SCHRIJVEN', 'Schrijven', 'Writing', 3),
  ('onderdeel', 'SPREKEN', 'Spreken', 'Speaking', 4),
  ('onderdeel', 'KNM', 'Kennis van de Nederlandse Maatschappij', 'Knowledge of Dutch society', 5),
  ('onderdeel', 'STAATSEXAMEN_NT2', 'Staatsexamen NT2', 'State exam Dutch as a second language', 6),
  ('niveau', 'A1', 'A1', 'A1', 1),
  ('niveau', 'A2', 'A2', 'A2', 2),
  ('niveau', 'B1', 'B1', 'B1', 3),
  ('niveau', 'B2', 'B2', 'B2', 4),
  ('grond', 'GEEN_AANBOD', 'Geen passend aanbod', 'No suitable course offered', 1),
  ('grond', 'KINDEROPVANG', 'Geen kinderopvang', 'No childcare', 2),
  ('grond', 'VERBLIJF_AZC', 'Verblijf in het azc', 'Stay in reception centre', 3),
  ('grond', 'WERK', 'Werk', 'Work', 4),
  ('grond', 'MEDISCH', 'Medisch', 'Medical', 5),
  ('grond', 'OVERIG', 'Overig', 'Other', 6)
) AS c(dimensie, code, label, label_en, n);

-- nationalities (ISO 3166-1 alpha-3): the ones the figures can show; a code without a row is
-- shown as its code. The figures publish the five most frequent and OVERIG.
INSERT INTO swi_pub.categorieen (dimensie, code, label, label_en, volgorde)
SELECT 'nationaliteit', code, label, label_en, row_number() OVER (ORDER BY code) FROM (VALUES
  ('AFG', 'Afghanistan', 'Afghanistan'), ('ALB', 'Albanië', 'Albania'), ('ARM', 'Armenië', 'Armenia'),
  ('AZE', 'Azerbeidzjan', 'Azerbaijan'), ('BRA', 'Brazilië', 'Brazil'), ('CHN', 'China', 'China'),
  ('COD', 'Congo (Democratische Republiek)', 'Congo (Democratic Republic)'), ('COL', 'Colombia', 'Colombia'),
  ('DZA', 'Algerije', 'Algeria'), ('EGY', 'Egypte', 'Egypt'), ('ERI', 'Eritrea', 'Eritrea'),
  ('ETH', 'Ethiopië', 'Ethiopia'), ('GEO', 'Georgië', 'Georgia'), ('GIN', 'Guinee', 'Guinea'),
  ('IDN', 'Indonesië', 'Indonesia'), ('IND', 'India', 'India'), ('IRN', 'Iran', 'Iran'),
  ('IRQ', 'Irak', 'Iraq'), ('JOR', 'Jordanië', 'Jordan'), ('LBN', 'Libanon', 'Lebanon'),
  ('LBY', 'Libië', 'Libya'), ('MAR', 'Marokko', 'Morocco'), ('NGA', 'Nigeria', 'Nigeria'),
  ('PAK', 'Pakistan', 'Pakistan'), ('PHL', 'Filipijnen', 'Philippines'),
  ('PSE', 'Palestijnse Gebieden', 'Palestinian Territories'), ('RUS', 'Rusland', 'Russia'),
  ('SDN', 'Soedan', 'Sudan'), ('SOM', 'Somalië', 'Somalia'), ('SSD', 'Zuid-Soedan', 'South Sudan'),
  ('SUR', 'Suriname', 'Suriname'), ('SYR', 'Syrië', 'Syria'), ('THA', 'Thailand', 'Thailand'),
  ('TUN', 'Tunesië', 'Tunisia'), ('TUR', 'Turkije', 'Türkiye'), ('UKR', 'Oekraïne', 'Ukraine'),
  ('USA', 'Verenigde Staten', 'United States'), ('VEN', 'Venezuela', 'Venezuela'),
  ('XXA', 'Staatloos', 'Stateless'), ('YEM', 'Jemen', 'Yemen')
) AS n(code, label, label_en);

-- gemeenten and regions, for both the gemeente at P and the gemeente of settlement
INSERT INTO swi_pub.categorieen (dimensie, code, label, label_en, volgorde)
SELECT d.dimensie, g.code, g.naam, g.naam, g.volgorde
  FROM swi_pub.gemeenten g CROSS JOIN (VALUES ('gemeente'), ('vestiging_gemeente')) AS d(dimensie)
 WHERE g.laatste_dag IS NULL;
INSERT INTO swi_pub.categorieen (dimensie, code, label, label_en, volgorde)
SELECT d.dimensie, r.code, r.naam, r.naam, r.volgorde
  FROM swi_pub.arbeidsmarktregios r
 CROSS JOIN (VALUES ('arbeidsmarktregio'), ('vestiging_arbeidsmarktregio')) AS d(dimensie);

-- OVERIG and ONBEKEND where a dimension publishes them but does not enumerate them above
INSERT INTO swi_pub.categorieen (dimensie, code, label, label_en, volgorde)
SELECT d.dimensie, x.code, x.label, x.label_en, x.volgorde
  FROM (VALUES ('nationaliteit'), ('gemeente'), ('vestiging_gemeente'), ('arbeidsmarktregio'),
               ('vestiging_arbeidsmarktregio')) AS d(dimensie)
 CROSS JOIN (VALUES ('OVERIG', 'Overig', 'Other', 9000), ('ONBEKEND', 'Onbekend', 'Unknown', 9001)) AS x(code, label, label_en, volgorde)
 WHERE NOT (d.dimensie IN ('gemeente', 'vestiging_gemeente', 'arbeidsmarktregio', 'vestiging_arbeidsmarktregio')
            AND x.code = 'OVERIG');

-- the margin of every dimension but cohort (a year; its total is cohort '*')
INSERT INTO swi_pub.categorieen (dimensie, code, label, label_en, volgorde)
SELECT dimensie, '*', 'Totaal', 'Total', 9999 FROM swi_pub.dimensies WHERE dimensie <> 'cohort';

-- ---- breakdowns and measures ------------------------------------------------------------------
CREATE TABLE swi_pub.tabellen (
  breakdown    text PRIMARY KEY,
  family       int  NOT NULL CHECK (family BETWEEN 1 AND 10),
  onderwerp    text NOT NULL,
  titel        text NOT NULL,
  titel_en     text NOT NULL,
  dim1         text REFERENCES swi_pub.dimensies (dimensie),
  dim2         text REFERENCES swi_pub.dimensies (dimensie),
  view_name    text NOT NULL UNIQUE,
  volgorde     int  NOT NULL UNIQUE,
  CONSTRAINT tabellen_dims CHECK (dim2 IS NULL OR dim1 IS NOT NULL)
);
COMMENT ON TABLE swi_pub.tabellen IS
  'Every published breakdown (table): its family, title, dimensions besides cohort and doelgroep, and the '
  'typed view swi_pub.<view_name> that shows it with named columns and labels (migration 011).';
COMMENT ON COLUMN swi_pub.tabellen.breakdown IS 'Breakdown as in swi_pub.indicator_values.breakdown.';
COMMENT ON COLUMN swi_pub.tabellen.family IS 'Indicator family 1-10 (indicators.md §5).';
COMMENT ON COLUMN swi_pub.tabellen.onderwerp IS 'The family''s name: populatie, fase, pip_termijn, ... (as the per-family views).';
COMMENT ON COLUMN swi_pub.tabellen.titel IS 'Dutch title of the table.';
COMMENT ON COLUMN swi_pub.tabellen.titel_en IS 'English title.';
COMMENT ON COLUMN swi_pub.tabellen.dim1 IS 'First further dimension (indicator_values.dim1_name); NULL when none.';
COMMENT ON COLUMN swi_pub.tabellen.dim2 IS 'Second further dimension (dim2_name); NULL when none.';
COMMENT ON COLUMN swi_pub.tabellen.view_name IS 'Name of the typed view in swi_pub (tabel_<breakdown>).';
COMMENT ON COLUMN swi_pub.tabellen.volgorde IS 'Sort order: by family, then the order the pipeline publishes them.';
INSERT INTO swi_pub.tabellen (breakdown, family, onderwerp, titel, titel_en, dim1, dim2, view_name, volgorde)
SELECT b, f, o, t, te, d1, d2, 'tabel_' || b, row_number() OVER () FROM (VALUES
  ('populatie_geslacht', 1, 'populatie', 'Populatie naar geslacht', 'Population by sex', 'geslacht', NULL),
  ('populatie_leeftijdsklasse', 1, 'populatie', 'Populatie naar leeftijd', 'Population by age', 'leeftijdsklasse', NULL),
  ('populatie_nationaliteit', 1, 'populatie', 'Populatie naar nationaliteit', 'Population by nationality', 'nationaliteit', NULL),
  ('populatie_gemeente', 1, 'populatie', 'Populatie naar gemeente', 'Population by municipality', 'gemeente', NULL),
  ('populatie_arbeidsmarktregio', 1, 'populatie', 'Populatie naar arbeidsmarktregio', 'Population by labour-market region', 'arbeidsmarktregio', NULL),
  ('fase', 2, 'fase', 'Fase van de inburgering', 'Stage of civic integration', 'fase', NULL),
  ('fase_plichtigen', 2, 'fase', 'Plichtigen in opvang en met PIP', 'Persons under obligation in reception and with a PIP', NULL, NULL),
  ('pip_termijn', 3, 'pip_termijn', 'PIP binnen de termijn van 10 weken', 'PIP within the 10-week term', 'pip_termijn', NULL),
  ('doorlooptijd_status_koppeling', 4, 'doorlooptijden', 'Doorlooptijd verblijfsvergunning - koppeling', 'Lead time permit - linking', NULL, NULL),
  ('doorlooptijd_status_vestiging', 4, 'doorlooptijden', 'Doorlooptijd verblijfsvergunning - vestiging', 'Lead time permit - settlement', NULL, NULL),
  ('doorlooptijd_vestiging_pip', 4, 'doorlooptijden', 'Doorlooptijd vestiging - PIP', 'Lead time settlement - PIP', NULL, NULL),
  ('doorlooptijd_status_pip', 4, 'doorlooptijden', 'Doorlooptijd verblijfsvergunning - PIP', 'Lead time permit - PIP', NULL, NULL),
  ('doorlooptijd_plicht_brede_intake', 4, 'doorlooptijden', 'Doorlooptijd start plicht - brede intake', 'Lead time obligation - broad intake', NULL, NULL),
  ('doorlooptijd_status_pip_klasse', 4, 'doorlooptijden', 'Verblijfsvergunning - PIP in duurklassen', 'Permit - PIP by duration class', 'dagen_klasse', NULL),
  ('leerroute_geslacht', 5, 'leerroute', 'Leerroute naar geslacht', 'Learning route by sex', 'leerroute', 'geslacht'),
  ('leerroute_jongere', 5, 'leerroute', 'Leerroute van jongeren', 'Learning route of young persons', 'leerroute', 'jongere'),
  ('leerroute_leeftijdsklasse', 5, 'leerroute', 'Leerroute naar leeftijd', 'Learning route by age', 'leerroute', 'leeftijdsklasse'),
  ('leerroute_gemeente', 5, 'leerroute', 'Leerroute naar gemeente', 'Learning route by municipality', 'leerroute', 'gemeente'),
  ('leerroute_wissel', 5, 'leerroute', 'Wisselingen van leerroute', 'Changes of learning route', NULL, NULL),
  ('leerroute_lbt', 5, 'leerroute', 'Leerroute naar uitkomst leerbaarheidstoets', 'Learning route by learnability test outcome', 'lbt_uitkomst', 'leerroute'),
  ('voor_vestiging_voorinburgering', 6, 'voor_vestiging', 'Voorinburgering in het azc', 'Pre-integration in the reception centre', NULL, NULL),
  ('voor_vestiging_overplaatsingen', 6, 'voor_vestiging', 'Overplaatsingen tussen opvanglocaties', 'Transfers between reception locations', 'overplaatsingen', NULL),
  ('voor_vestiging_afstand', 6, 'voor_vestiging', 'Afstand azc - gekoppelde gemeente', 'Distance reception centre - linked municipality', 'afstand_km', NULL),
  ('werk_geslacht', 7, 'werk', 'Betaald werk na vestiging, naar geslacht', 'Paid work after settlement, by sex', 'geslacht', NULL),
  ('werk_gemeente', 7, 'werk', 'Betaald werk na vestiging, naar gemeente', 'Paid work after settlement, by municipality', 'vestiging_gemeente', NULL),
  ('werk_arbeidsmarktregio', 7, 'werk', 'Betaald werk na vestiging, naar arbeidsmarktregio', 'Paid work after settlement, by labour-market region', 'vestiging_arbeidsmarktregio', NULL),
  ('werk_sector', 7, 'werk', 'Werkenden naar sector', 'Employed persons by sector', 'sector', NULL),
  ('werk_deeltijd', 7, 'werk', 'Werkenden in deeltijd', 'Employed persons working part-time', NULL, NULL),
  ('bijstand_geslacht', 8, 'bijstand', 'Bijstand in het eerste jaar, naar geslacht', 'Social assistance in year 1, by sex', 'geslacht', NULL),
  ('bijstand_gemeente', 8, 'bijstand', 'Bijstand in het eerste jaar, naar gemeente', 'Social assistance in year 1, by municipality', 'vestiging_gemeente', NULL),
  ('bijstand_arbeidsmarktregio', 8, 'bijstand', 'Bijstand in het eerste jaar, naar arbeidsmarktregio', 'Social assistance in year 1, by labour-market region', 'vestiging_arbeidsmarktregio', NULL),
  ('voortgang_examens', 9, 'voortgang', 'Examens naar onderdeel en niveau', 'Exams by component and level', 'onderdeel', 'niveau'),
  ('voortgang_geslaagd_onderdeel', 9, 'voortgang', 'Geslaagden per examenonderdeel', 'Passed per exam component', 'onderdeel', NULL),
  ('voortgang_einde', 9, 'voortgang', 'Einde van de inburgeringsplicht', 'End of the obligation', 'einde', NULL),
  ('voortgang_voldaan_niveau', 9, 'voortgang', 'Voldaan op B1 of hoger', 'Fulfilled at B1 or higher', NULL, NULL),
  ('voortgang_termijn', 9, 'voortgang', 'Termijn loopt binnen 6 maanden af', 'Term ends within 6 months', NULL, NULL),
  ('voortgang_verlengingen', 9, 'voortgang', 'Termijnverlengingen naar grond', 'Term extensions by ground', 'grond', NULL),
  ('volledigheid_brede_intake', 10, 'volledigheid', 'Volledigheid van de brede intake', 'Completeness of the broad intake', NULL, NULL)
) AS t(b, f, o, t, te, d1, d2);

CREATE TABLE swi_pub.maten (
  measure  text PRIMARY KEY,
  label    text NOT NULL,
  label_en text NOT NULL,
  unit     text NOT NULL CHECK (unit IN ('personen', 'procent', 'dagen', 'gebeurtenissen'))
);
COMMENT ON TABLE swi_pub.maten IS
  'Every measure of the published figures with a label and its unit (indicator_values.measure, .unit).';
COMMENT ON COLUMN swi_pub.maten.measure IS 'Measure as in swi_pub.indicator_values.measure.';
COMMENT ON COLUMN swi_pub.maten.label IS 'Dutch label.';
COMMENT ON COLUMN swi_pub.maten.label_en IS 'English label.';
COMMENT ON COLUMN swi_pub.maten.unit IS 'personen or gebeurtenissen (counts), procent (share), dagen (lead time).';
INSERT INTO swi_pub.maten (measure, label, label_en, unit) VALUES
  ('cohortgrootte', 'Cohortgrootte', 'Cohort size', 'personen'),
  ('plichtigen', 'Inburgeringsplichtigen', 'Persons under obligation', 'personen'),
  ('personen', 'Personen', 'Persons', 'personen'),
  ('aandeel_fase', 'Aandeel (%)', 'Share (%)', 'procent'),
  ('in_opvang_met_pip', 'In opvang met PIP', 'In reception with a PIP', 'personen'),
  ('in_opvang_zonder_pip', 'In opvang zonder PIP', 'In reception without a PIP', 'personen'),
  ('pip_vastgesteld', 'PIP vastgesteld', 'PIP set', 'personen'),
  ('aandeel_in_opvang_met_pip', 'In opvang met PIP (% van plichtigen)', 'In reception with a PIP (% of persons under obligation)', 'procent'),
  ('aandeel_in_opvang_zonder_pip', 'In opvang zonder PIP (% van plichtigen)', 'In reception without a PIP (% of persons under obligation)', 'procent'),
  ('aandeel_pip_vastgesteld', 'PIP vastgesteld (% van plichtigen)', 'PIP set (% of persons under obligation)', 'procent'),
  ('aandeel_pip_termijn', 'Aandeel (%)', 'Share (%)', 'procent'),
  ('n', 'Personen met beide datums', 'Persons with both dates', 'personen'),
  ('n_open', 'Personen nog zonder einddatum', 'Persons still without the end date', 'personen'),
  ('gemiddelde', 'Gemiddelde (dagen)', 'Mean (days)', 'dagen'),
  ('p25', '25e percentiel (dagen)', '25th percentile (days)', 'dagen'),
  ('mediaan', 'Mediaan (dagen)', 'Median (days)', 'dagen'),
  ('p75', '75e percentiel (dagen)', '75th percentile (days)', 'dagen'),
  ('p90', '90e percentiel (dagen)', '90th percentile (days)', 'dagen'),
  ('aandeel_dagen_klasse', 'Aandeel (%)', 'Share (%)', 'procent'),
  ('aandeel_leerroute', 'Verdeling over de leerroutes (%)', 'Distribution over the routes (%)', 'procent'),
  ('aandeel_geslacht', 'Aandeel binnen de leerroute (%)', 'Share within the route (%)', 'procent'),
  ('aandeel_jongere', 'Aandeel binnen de leerroute (%)', 'Share within the route (%)', 'procent'),
  ('aandeel_leeftijdsklasse', 'Aandeel binnen de leerroute (%)', 'Share within the route (%)', 'procent'),
  ('aandeel_gemeente', 'Aandeel binnen de leerroute (%)', 'Share within the route (%)', 'procent'),
  ('personen_met_pip', 'Personen met PIP', 'Persons with a PIP', 'personen'),
  ('met_routewissel', 'Met wisseling van leerroute', 'With a change of route', 'personen'),
  ('aandeel_met_routewissel', 'Met wisseling van leerroute (%)', 'With a change of route (%)', 'procent'),
  ('aandeel_afstand_km', 'Aandeel (%)', 'Share (%)', 'procent'),
  ('aandeel_overplaatsingen', 'Aandeel (%)', 'Share (%)', 'procent'),
  ('voorinburgering_gestart', 'Voorinburgering gestart', 'Pre-integration started', 'personen'),
  ('voorinburgering_afgerond', 'Voorinburgering afgerond', 'Pre-integration completed', 'personen'),
  ('voorinburgering_afgebroken', 'Voorinburgering afgebroken', 'Pre-integration abandoned', 'personen'),
  ('aandeel_voorinburgering_gestart', 'Voorinburgering gestart (%)', 'Pre-integration started (%)', 'procent'),
  ('aandeel_voorinburgering_afgerond', 'Voorinburgering afgerond (%)', 'Pre-integration completed (%)', 'procent'),
  ('aandeel_voorinburgering_afgebroken', 'Voorinburgering afgebroken (%)', 'Pre-integration abandoned (%)', 'procent'),
  ('personen_jaar1', 'Personen met een volledig eerste jaar na vestiging', 'Persons with a full first year after settlement', 'personen'),
  ('personen_jaar2', 'Personen met een volledig tweede jaar na vestiging', 'Persons with a full second year after settlement', 'personen'),
  ('personen_jaar3', 'Personen met een volledig derde jaar na vestiging', 'Persons with a full third year after settlement', 'personen'),
  ('met_werk_jaar1', 'Met betaald werk in jaar 1', 'With paid work in year 1', 'personen'),
  ('met_werk_jaar2', 'Met betaald werk in jaar 2', 'With paid work in year 2', 'personen'),
  ('met_werk_jaar3', 'Met betaald werk in jaar 3', 'With paid work in year 3', 'personen'),
  ('aandeel_werk_jaar1', 'Betaald werk in jaar 1 (%)', 'Paid work in year 1 (%)', 'procent'),
  ('aandeel_werk_jaar2', 'Betaald werk in jaar 2 (%)', 'Paid work in year 2 (%)', 'procent'),
  ('aandeel_werk_jaar3', 'Betaald werk in jaar 3 (%)', 'Paid work in year 3 (%)', 'procent'),
  ('aandeel_sector', 'Aandeel (%)', 'Share (%)', 'procent'),
  ('werkend_op_peildatum', 'Werkend op de peildatum', 'Employed on the reference date', 'personen'),
  ('deeltijd', 'In deeltijd (minder dan 32 uur)', 'Part-time (under 32 hours)', 'personen'),
  ('aandeel_deeltijd', 'In deeltijd (%)', 'Part-time (%)', 'procent'),
  ('met_bijstand_jaar1', 'Met bijstand in jaar 1', 'With social assistance in year 1', 'personen'),
  ('aandeel_bijstand_jaar1', 'Bijstand in jaar 1 (%)', 'Social assistance in year 1 (%)', 'procent'),
  ('examens', 'Examens', 'Exams', 'gebeurtenissen'),
  ('examens_geslaagd', 'Geslaagd', 'Passed', 'gebeurtenissen'),
  ('examens_niet_geslaagd', 'Niet geslaagd', 'Failed', 'gebeurtenissen'),
  ('personen_geslaagd', 'Personen geslaagd', 'Persons passed', 'personen'),
  ('voldaan', 'Plicht voldaan', 'Obligation fulfilled', 'personen'),
  ('voldaan_b1_of_b2', 'Voldaan op B1 of B2', 'Fulfilled at B1 or B2', 'personen'),
  ('aandeel_voldaan_b1_of_b2', 'Voldaan op B1 of B2 (%)', 'Fulfilled at B1 or B2 (%)', 'procent'),
  ('plichtigen_met_pip', 'Plichtigen met PIP', 'Persons under obligation with a PIP', 'personen'),
  ('termijn_einde_binnen_6_maanden', 'Termijn eindigt binnen 6 maanden', 'Term ends within 6 months', 'personen'),
  ('aandeel_termijn_einde_binnen_6_maanden', 'Termijn eindigt binnen 6 maanden (%)', 'Term ends within 6 months (%)', 'procent'),
  ('termijnverlengingen', 'Termijnverlengingen', 'Term extensions', 'gebeurtenissen'),
  ('brede_intake_afgerond', 'Brede intake afgerond', 'Broad intake completed', 'personen'),
  ('opleidingsniveau_bekend', 'Opleidingsniveau bekend', 'Education level known', 'personen'),
  ('werkervaring_bekend', 'Werkervaring bekend', 'Work experience known', 'personen'),
  ('jonge_kinderen_bekend', 'Jonge kinderen bekend', 'Young children known', 'personen'),
  ('alle_drie_bekend', 'Alle drie bekend', 'All three known', 'personen'),
  ('aandeel_opleidingsniveau_bekend', 'Opleidingsniveau bekend (%)', 'Education level known (%)', 'procent'),
  ('aandeel_werkervaring_bekend', 'Werkervaring bekend (%)', 'Work experience known (%)', 'procent'),
  ('aandeel_jonge_kinderen_bekend', 'Jonge kinderen bekend (%)', 'Young children known (%)', 'procent'),
  ('aandeel_alle_drie_bekend', 'Alle drie bekend (%)', 'All three known (%)', 'procent');

-- ---- owner and readers (as every swi_pub object: 003_published.sql) -----------------------------
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['provincies', 'arbeidsmarktregios', 'gemeenten', 'dimensies', 'categorieen',
                           'tabellen', 'maten'] LOOP
    EXECUTE format('ALTER TABLE swi_pub.%I OWNER TO swi_writer', t);
    EXECUTE format('GRANT ALL ON swi_pub.%I TO swi_writer', t);
    EXECUTE format('GRANT SELECT ON swi_pub.%I TO analyst, researcher, gemeente_user', t);
  END LOOP;
END $$;
