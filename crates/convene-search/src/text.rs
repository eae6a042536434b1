//! The words of every service in a tantivy index held in memory. Text is
//! split and stemmed by the directory's own rules (`search::stems`) and
//! handed to tantivy already tokenised, so the index and the reference
//! search can never disagree about what a word is. tantivy scores matches
//! with BM25; a word in the name counts three times one in the description.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{
    DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, SegmentOrdinal,
    SegmentReader, TantivyDocument, Term,
};

use crate::SearchError;

/// How much more a word in a service's name counts than one in its
/// description.
const NAME_BOOST: f32 = 3.0;
/// tantivy's indexing memory budget (its minimum is 15 MB per thread).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// The fields of the text index.
#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    name: Field,
    description: Field,
}

/// Where changes are written.
pub(crate) struct TextIndex {
    fields: Fields,
    reader: IndexReader,
    writer: IndexWriter,
}

/// One consistent view of the text index, for searching.
#[derive(Clone)]
pub(crate) struct TextView {
    fields: Fields,
    searcher: Searcher,
}

fn words(text: &str) -> PreTokenizedString {
    let tokens = convene_domain::directory::search::stems(text)
        .into_iter()
        .enumerate()
        .map(|(position, text)| Token {
            offset_from: 0,
            offset_to: 0,
            position,
            text,
            position_length: 1,
        })
        .collect();
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}

impl TextIndex {
    pub(crate) fn new() -> Result<TextIndex, SearchError> {
        let mut schema = Schema::builder();
        let ord = schema.add_u64_field("ord", INDEXED | FAST);
        // Frequencies for scoring; positions are not needed (no phrases).
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_index_option(IndexRecordOption::WithFreqs),
        );
        let name = schema.add_text_field("name", text.clone());
        let description = schema.add_text_field("description", text);
        let index = Index::create_in_ram(schema.build());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(TextIndex {
            fields: Fields {
                ord,
                name,
                description,
            },
            reader,
            writer,
        })
    }

    /// Queues a service's words under `ord`, seen after [`Self::commit`].
    pub(crate) fn add(
        &mut self,
        ord: u32,
        name: &str,
        description: Option<&str>,
    ) -> Result<(), SearchError> {
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.fields.ord, u64::from(ord));
        doc.add_pre_tokenized_text(self.fields.name, words(name));
        doc.add_pre_tokenized_text(self.fields.description, words(description.unwrap_or("")));
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Queues the removal of what was added under `ord`.
    pub(crate) fn remove(&mut self, ord: u32) {
        self.writer
            .delete_term(Term::from_field_u64(self.fields.ord, u64::from(ord)));
    }

    /// Makes the queued changes durable in the index (not yet searched).
    pub(crate) fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        Ok(())
    }

    /// A view with every committed change.
    pub(crate) fn view(&self) -> Result<TextView, SearchError> {
        self.reader.reload()?;
        Ok(TextView {
            fields: self.fields,
            searcher: self.reader.searcher(),
        })
    }
}

impl TextView {
    /// Every service holding all the stems, with its score.
    pub(crate) fn matching(&self, stems: &[String]) -> Result<Vec<(u32, Score)>, SearchError> {
        let each_word: Vec<(Occur, Box<dyn Query>)> = stems
            .iter()
            .map(|stem| {
                let term_in = |field| {
                    TermQuery::new(
                        Term::from_field_text(field, stem),
                        IndexRecordOption::WithFreqs,
                    )
                };
                let either: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(term_in(self.fields.name)),
                            NAME_BOOST,
                        )) as Box<dyn Query>,
                    ),
                    (Occur::Should, Box::new(term_in(self.fields.description))),
                ]));
                (Occur::Must, either)
            })
            .collect();
        Ok(self
            .searcher
            .search(&BooleanQuery::new(each_word), &EveryMatch)?)
    }
}

/// Collects every matching document as (ord, score).
struct EveryMatch;

struct SegmentMatches {
    ords: Column<u64>,
    found: Vec<(u32, Score)>,
}

impl Collector for EveryMatch {
    type Fruit = Vec<(u32, Score)>;
    type Child = SegmentMatches;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            ords: reader.fast_fields().u64("ord")?,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, Score)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<(u32, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(ord) = self.ords.first(doc).and_then(|o| u32::try_from(o).ok()) {
            self.found.push((ord, score));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.found
    }
}
