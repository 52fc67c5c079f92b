//! A CSV row's fields by column: the header's columns are found once per file ([`Columns`]),
//! the row is read into one record buffer kept for the whole file (its UTF-8 checked once, as
//! it is read), and a number is parsed from its field in place: no allocation per row or field
//! (serde over a fresh `StringRecord` a row cost more than the CSV parsing). Each error names
//! the column and the text it held.

/// The positions of a header's columns.
pub struct Columns {
    header: csv::StringRecord,
}

impl Columns {
    pub fn new(header: csv::StringRecord) -> Columns {
        Columns { header }
    }

    /// Where `name` is, if the header has it.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// Where `name` is; an error naming it (and `what` the file was read as) if missing.
    pub fn need(&self, name: &str, what: &str) -> Result<usize, String> {
        (self.find(name)).ok_or_else(|| format!("the header has no `{name}` column ({what})"))
    }

    /// The row `record` read with these columns.
    pub fn row<'r>(&'r self, record: &'r csv::StringRecord) -> Fields<'r> {
        Fields {
            record,
            header: &self.header,
        }
    }

    pub fn header(&self) -> &csv::StringRecord {
        &self.header
    }
}

/// One row's fields, by position.
pub struct Fields<'r> {
    record: &'r csv::StringRecord,
    header: &'r csv::StringRecord,
}

impl<'r> Fields<'r> {
    pub fn name(&self, i: usize) -> &'r str {
        self.header.get(i).unwrap_or("?")
    }

    /// The field as text (empty where the row is short).
    pub fn str(&self, i: usize) -> &'r str {
        self.record.get(i).unwrap_or_default()
    }

    /// The field as a number (NaN and infinities parse: the callers refuse them, naming them).
    pub fn f64(&self, i: usize) -> Result<f64, String> {
        let text = self.str(i);
        (text.parse::<f64>())
            .map_err(|_| format!("{} = {text:?} is not a finite number", self.name(i)))
    }

    /// The field as a number, None where empty.
    pub fn opt_f64(&self, i: usize) -> Result<Option<f64>, String> {
        if self.str(i).is_empty() {
            return Ok(None);
        }
        self.f64(i).map(Some)
    }

    /// The field as an integer.
    pub fn i64(&self, i: usize) -> Result<i64, String> {
        let text = self.str(i);
        (text.parse::<i64>()).map_err(|_| format!("{} = {text:?} is not an integer", self.name(i)))
    }

    /// The column's integer where the header has the column and the field is not empty.
    pub fn opt_i64(&self, i: Option<usize>) -> Result<Option<i64>, String> {
        match i {
            Some(i) if !self.str(i).is_empty() => self.i64(i).map(Some),
            _ => Ok(None),
        }
    }

    /// The field as `true` or `false`.
    pub fn bool(&self, i: usize) -> Result<bool, String> {
        match self.str(i) {
            "true" => Ok(true),
            "false" => Ok(false),
            text => Err(format!("{} = {text:?} is not true/false", self.name(i))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Columns {
        Columns::new(csv::StringRecord::from(vec!["flag", "name", "price", "n"]))
    }

    fn record(fields: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(fields.to_vec())
    }

    #[test]
    fn fields_parse_by_position_and_errors_name_the_column_and_text() {
        let c = columns();
        assert_eq!(c.need("price", "test"), Ok(2));
        assert_eq!(
            c.need("size", "trades").unwrap_err(),
            "the header has no `size` column (trades)"
        );
        let ok = record(&["true", "ETH", "1.5", "-7"]);
        let f = c.row(&ok);
        assert_eq!(f.bool(0), Ok(true));
        assert_eq!(f.str(1), "ETH");
        assert_eq!(f.f64(2), Ok(1.5));
        assert_eq!(f.i64(3), Ok(-7));
        assert_eq!(f.opt_i64(Some(3)), Ok(Some(-7)));
        assert_eq!(f.opt_i64(None), Ok(None));
        let bad = record(&["yes", "E", "abc", "1.5"]);
        let f = c.row(&bad);
        assert_eq!(f.bool(0).unwrap_err(), "flag = \"yes\" is not true/false");
        assert_eq!(
            f.f64(2).unwrap_err(),
            "price = \"abc\" is not a finite number"
        );
        assert_eq!(f.i64(3).unwrap_err(), "n = \"1.5\" is not an integer");
        // Empty: None where optional, an error where not; NaN parses (callers refuse it).
        let empty = record(&["false", "", "", ""]);
        let f = c.row(&empty);
        assert_eq!(f.opt_f64(2), Ok(None));
        assert_eq!(f.opt_i64(Some(3)), Ok(None));
        assert!(f.f64(2).is_err());
        let nan = record(&["false", "", "NaN", ""]);
        assert!(c.row(&nan).f64(2).is_ok_and(f64::is_nan));
    }
}
