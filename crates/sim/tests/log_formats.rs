//! Chapter 3's replication log formats: the course's worked example reproduced value for value, statement replay
//! divergence and its fix, the autoincrement hazard, WAL's storage-format coupling, and a change-data-capture
//! consumer that must track the leader through any sequence of operations.

use expect_test::expect;
use proptest::prelude::*;
use sim::ids::Lsn;
use sim::log_formats::*;

fn at(hour: u32, minute: u32, second: u32) -> Timestamp {
    Timestamp::from_civil(2024, 1, 15, hour, minute, second).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn cv(column: Column, value: Value) -> ColumnValue {
    ColumnValue { column, value }
}

fn alice(name: &str, updated_at: Timestamp) -> Row {
    Row { id: RowId(42), name: name.to_owned(), email: "alice@example.com".to_owned(), updated_at }
}

fn run_all(comparison: &mut Comparison, actions: &[Action]) {
    for action in actions {
        comparison.apply(action).unwrap();
    }
}

/// "Worked Example: Same Operation, Four Representations" — `UPDATE users SET name='Alice Smith',
/// updated_at=NOW() WHERE id=42`, every value as the course gives it.
#[test]
fn worked_example_same_operation_four_representations() {
    let table = Table::course_example();
    assert_eq!(table.get(RowId(42)), Some(&alice("Alice", at(8, 0, 0))));
    let ctx = Context::default();
    assert_eq!(ctx.leader_now, at(9, 30, 1));
    let reps = render(&Operation::course_update(), &table, &ctx).unwrap();
    assert_eq!(reps.sql, "UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42");
    assert_eq!(
        reps.change,
        Some(RowChange::Update { before: alice("Alice", at(8, 0, 0)), after: alice("Alice Smith", at(9, 30, 1)) })
    );

    // 1. Statement-based: the SQL verbatim; NOW() is 09:30:01 on the leader but 09:30:03 on the follower.
    let statement = &reps.statement;
    assert_eq!(statement.sql, "UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42");
    assert_eq!(
        statement.hazards,
        vec![Hazard {
            function: Function::Now,
            leader: Value::Timestamp(at(9, 30, 1)),
            follower: Value::Timestamp(at(9, 30, 3)),
            shipped_as_literal: false,
        }]
    );
    assert_eq!(statement.hazards[0].literal_fix(), "updated_at='2024-01-15 09:30:01'");
    assert_eq!(
        statement.divergence,
        vec![Divergence::Column {
            id: RowId(42),
            column: Column::UpdatedAt,
            leader: Value::Timestamp(at(9, 30, 1)),
            follower: Value::Timestamp(at(9, 30, 3)),
        }]
    );

    // 2. WAL: LSN 0/16B3A40, relation 16384/1663/users, block 231, offset 148, old and new tuple, and an index
    // update for the name column's B-tree.
    let wal = reps.wal.as_ref().unwrap();
    assert_eq!(wal.lsn, Lsn(0x16B_3A40));
    assert_eq!(format_lsn(wal.lsn), "0/16B3A40");
    assert_eq!(wal.relation.to_string(), "16384/1663/users");
    assert_eq!((wal.block, wal.offset), (231, 148));
    assert_eq!(wal.kind, ChangeKind::Update);
    assert_eq!(wal.old_tuple, Some(alice("Alice", at(8, 0, 0))));
    assert_eq!(wal.new_tuple, Some(alice("Alice Smith", at(9, 30, 1))));
    assert_eq!(wal.xid, 1042, "the course's transaction id");
    assert_eq!(wal.index_updates.len(), 1);
    let index = &wal.index_updates[0];
    assert_eq!((index.index.name, index.index.column), ("users_name_idx", Column::Name));
    assert_eq!((index.old_key.clone(), index.new_key.clone()), (Some(text("Alice")), text("Alice Smith")));
    assert_eq!(wal.tuple_bytes, encode_tuple(&alice("Alice Smith", at(9, 30, 1))));

    // 3. Logical: key {id: 42}, before/after of the changed columns.
    let logical = reps.logical.as_ref().unwrap();
    assert_eq!(logical.table, "public.users");
    assert_eq!((logical.kind, logical.key), (ChangeKind::Update, RowId(42)));
    assert_eq!(
        logical.before,
        vec![cv(Column::Name, text("Alice")), cv(Column::UpdatedAt, Value::Timestamp(at(8, 0, 0)))]
    );
    assert_eq!(
        logical.after,
        vec![cv(Column::Name, text("Alice Smith")), cv(Column::UpdatedAt, Value::Timestamp(at(9, 30, 1)))]
    );

    // 4. Trigger: the audit_log row.
    let audit = reps.trigger.as_ref().unwrap();
    assert_eq!((audit.table_name, audit.pk, audit.ts), ("users", RowId(42), at(9, 30, 1)));
    assert_eq!(audit.old_data, Some(vec![cv(Column::Name, text("Alice"))]));
    assert_eq!(audit.new_data, Some(vec![cv(Column::Name, text("Alice Smith"))]));

    expect![[r#"
        // The SQL statement:
        UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42

        // 1. STATEMENT-BASED
        "UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42"
        Problem: NOW() returns 2024-01-15 09:30:01 on leader
        but 2024-01-15 09:30:03 on follower (2s later).
        Fix: Replace NOW() with literal: updated_at='2024-01-15 09:30:01'
        A follower replaying it diverges: row 42: updated_at is '2024-01-15 09:30:03' on the follower but '2024-01-15 09:30:01' on the leader.

        // 2. WAL (PHYSICAL)
        LSN=0/16B3A40 | Relation: 16384/1663/users | Block: 231
        Offset: 148 | Old tuple: [42, 'Alice', 'alice@example.com', '2024-01-15 08:00:00']
        New tuple: [42, 'Alice Smith', 'alice@example.com', '2024-01-15 09:30:01']
        + index updates for name column B-tree (users_name_idx, LSN=0/16B3A88): 'Alice' -> 'Alice Smith'
        Transaction: 1042 | Op: UPDATE | format 15 | Data: 42 bytes [2a 00 00 00 19 41 6c 69 63 65 20 53 ...]

        // 3. LOGICAL (ROW-BASED)
        {table: "public.users", op: "UPDATE",
        key: {id: 42},
        before: {name: "Alice", updated_at: "2024-01-15 08:00:00"},
        after: {name: "Alice Smith", updated_at: "2024-01-15 09:30:01"}}

        // 4. TRIGGER-BASED
        INSERT INTO audit_log (table_name, pk, old_data, new_data, ts)
        VALUES ('users', 42, '{"name":"Alice"}'::jsonb,
        '{"name":"Alice Smith"}'::jsonb, now());"#]]
    .assert_eq(&reps.to_string());
}

/// The worked example's fix: "Replace NOW() with literal: updated_at='2024-01-15 09:30:01'". The follower,
/// still 2 s later, now ends with the leader's row.
#[test]
fn worked_example_fix_ships_now_as_a_literal_and_the_rows_match() {
    let ctx = Context { statement_mode: StatementMode::LiteralValues, ..Context::default() };
    let reps = render(&Operation::course_update(), &Table::course_example(), &ctx).unwrap();
    let statement = &reps.statement;
    assert_eq!(statement.sql, "UPDATE users SET name='Alice Smith', updated_at='2024-01-15 09:30:01' WHERE id=42");
    assert_eq!(statement.literals.now, Some(at(9, 30, 1)));
    assert!(statement.hazards.iter().all(|h| h.shipped_as_literal && !h.diverges()));
    assert!(statement.divergence.is_empty());
    // The other three formats do not depend on how statements are shipped.
    let verbatim = render(&Operation::course_update(), &Table::course_example(), &Context::default()).unwrap();
    assert_eq!((&reps.wal, &reps.logical, &reps.trigger), (&verbatim.wal, &verbatim.logical, &verbatim.trigger));
}

/// The per-method examples of the chapter, in one story: Method 2's WAL record (LSN 0/16B3A40, transaction 1042,
/// block 231, offset 148, INSERT), Method 3's logical INSERT of id 42 'Alice' at 2024-01-15 09:30:00, its UPDATE
/// with key {id: 42} and changed name 'Alice Smith', and its DELETE with key {id: 42}.
#[test]
fn method_examples_insert_update_delete_alice() {
    let mut table = Table::empty(TableLayout {
        next_id: 42,
        next_location: TupleLocation { block: 231, offset: 148 },
        next_lsn: Lsn(0x16B_3A40),
        next_xid: 1042,
        engine: EngineVersion(15),
    });
    let ctx = |now| Context { leader_now: now, ..Context::default() };

    // Method 1: the statement calls NOW(), which the follower evaluates itself.
    let insert = Operation::Insert(NewUser::new("Alice", "alice@example.com"));
    let reps = render(&insert, &table, &ctx(at(9, 30, 0))).unwrap();
    assert_eq!(
        reps.statement.sql,
        "INSERT INTO users (name, email, updated_at) VALUES ('Alice', 'alice@example.com', NOW())"
    );
    assert_eq!(reps.statement.hazards[0].function, Function::Now);

    // Method 2: LSN: 0/16B3A40 | Transaction: 1042 | Table: users | Block: 231 | Offset: 148 | Op: INSERT.
    let wal = reps.wal.clone().unwrap();
    assert_eq!((format_lsn(wal.lsn).as_str(), wal.xid, wal.relation.name), ("0/16B3A40", 1042, "users"));
    assert_eq!((wal.block, wal.offset, wal.kind), (231, 148, ChangeKind::Insert));
    assert!(!wal.tuple_bytes.is_empty(), "Data: [raw binary tuple bytes...]");

    // Method 3: new_row: {id: 42, name: 'Alice', ... '2024-01-15 09:30:00'}.
    let logical = reps.logical.clone().unwrap();
    assert_eq!((logical.kind, logical.key), (ChangeKind::Insert, RowId(42)));
    expect![[r#"
        {table: "public.users", op: "INSERT",
        new_row: {id: 42, name: "Alice", email: "alice@example.com", updated_at: "2024-01-15 09:30:00"}}"#]]
    .assert_eq(&logical.to_string());
    table.apply_wal(&wal).unwrap();
    assert_eq!(table.get(RowId(42)), Some(&alice("Alice", at(9, 30, 0))));
    assert_eq!(table.location(RowId(42)), Some(TupleLocation { block: 231, offset: 148 }));

    // UPDATE ... Key: {id: 42}, changed_columns: {name: 'Alice Smith'} (and the updated_at NOW() stamps).
    let reps = render(&Operation::course_update(), &table, &ctx(at(9, 30, 1))).unwrap();
    let logical = reps.logical.clone().unwrap();
    assert_eq!((logical.kind, logical.key), (ChangeKind::Update, RowId(42)));
    assert_eq!(logical.after[0], cv(Column::Name, text("Alice Smith")));
    table.apply_wal(reps.wal.as_ref().unwrap()).unwrap();

    // DELETE ... Key: {id: 42}.
    let reps = render(&Operation::Delete { id: RowId(42) }, &table, &ctx(at(9, 31, 0))).unwrap();
    expect![[r#"
        {table: "public.users", op: "DELETE",
        key: {id: 42}}"#]]
    .assert_eq(&reps.logical.as_ref().unwrap().to_string());
    let wal = reps.wal.as_ref().unwrap();
    assert_eq!((wal.block, wal.offset, wal.xid), (231, 148, 1044));
    assert!(wal.index_updates.is_empty(), "index entries stay for VACUUM");
    table.apply_wal(wal).unwrap();
    assert!(table.is_empty());
}

/// A follower whose clock runs behind the leader's by 1.5 s (no replay delay) diverges the other way.
#[test]
fn clock_skew_alone_makes_now_diverge() {
    let ctx = Context { follower_now_offset_ms: -1_500, ..Context::default() };
    let reps = render(&Operation::course_update(), &Table::course_example(), &ctx).unwrap();
    let follower = Timestamp::from_unix_ms(at(9, 29, 59).as_unix_ms() + 500);
    assert_eq!(follower.to_string(), "2024-01-15 09:29:59.500");
    assert_eq!(
        reps.statement.divergence,
        vec![Divergence::Column {
            id: RowId(42),
            column: Column::UpdatedAt,
            leader: Value::Timestamp(at(9, 30, 1)),
            follower: Value::Timestamp(follower),
        }]
    );
    assert!(reps.statement.to_string().contains("(1.500s earlier)"), "{}", reps.statement);
    // With no skew and no delay, NOW() happens to agree.
    let same = Context { follower_now_offset_ms: 0, ..Context::default() };
    assert!(render(&Operation::course_update(), &Table::course_example(), &same)
        .unwrap()
        .statement
        .divergence
        .is_empty());
}

/// RAND() seeded differently on each node gives the anonymised user a different handle on the follower.
#[test]
fn rand_diverges_unless_the_leader_ships_its_value() {
    let op = Operation::Anonymize { id: RowId(42) };
    let reps =
        render(&op, &Table::course_example(), &Context { follower_now_offset_ms: 0, ..Context::default() }).unwrap();
    let rand = reps.statement.hazards.iter().find(|h| h.function == Function::Rand).unwrap();
    assert!(rand.diverges());
    let (Value::Int(leader), Value::Int(follower)) = (&rand.leader, &rand.follower) else { panic!("{rand:?}") };
    assert_ne!(leader, follower);
    assert_eq!(
        reps.statement.divergence,
        vec![Divergence::Column {
            id: RowId(42),
            column: Column::Name,
            leader: text(&format!("user-{leader}")),
            follower: text(&format!("user-{follower}")),
        }]
    );

    let fixed = Context { statement_mode: StatementMode::LiteralValues, ..Context::default() };
    let reps = render(&op, &Table::course_example(), &fixed).unwrap();
    assert_eq!(
        reps.statement.sql,
        format!(
            "UPDATE users SET name='user-{leader}', email='redacted', updated_at='2024-01-15 09:30:01' WHERE id=42"
        )
    );
    assert!(reps.statement.divergence.is_empty());

    // Same seed, same clock: even a verbatim replay agrees (determinism is the whole requirement).
    let twin = Context { follower_now_offset_ms: 0, follower_rand_seed: 1, ..Context::default() };
    assert!(render(&op, &Table::course_example(), &twin).unwrap().statement.divergence.is_empty());
}

/// Auto-increment: two concurrent inserts get ids 43 and 44 in execution order, but commit (and so reach the
/// statement log) in the opposite order. Replaying in log order swaps the ids on the statement follower; every
/// row-carrying log keeps them.
#[test]
fn concurrent_inserts_swap_autoincrement_ids_under_statement_replication() {
    let action = Action::ConcurrentInserts {
        first: NewUser::new("Bob", "bob2@example.com"),
        second: NewUser::new("Carol", "carol@example.com"),
    };
    let config = Config { follower_now_offset_ms: 0, ..Config::default() };
    let mut verbatim = Comparison::new(Table::course_example(), config);
    verbatim.apply(&action).unwrap();
    let leader = verbatim.leader();
    assert_eq!(leader.get(RowId(43)).unwrap().name, "Bob");
    assert_eq!(leader.get(RowId(44)).unwrap().name, "Carol");
    let follower = verbatim.follower(LogFormat::Statement);
    assert_eq!(follower.get(RowId(43)).unwrap().name, "Carol");
    assert_eq!(follower.get(RowId(44)).unwrap().name, "Bob");
    let diffs = leader.diff(follower);
    assert_eq!(diffs.len(), 4, "name and email of rows 43 and 44: {diffs:?}");
    assert!(diffs.iter().all(|d| matches!(d, Divergence::Column { column: Column::Name | Column::Email, .. })));
    assert_eq!(verbatim.status(LogFormat::Statement), ReplicaStatus::Diverged { differences: 4 });
    for format in [LogFormat::Physical, LogFormat::Logical, LogFormat::Trigger] {
        assert_eq!(verbatim.status(format), ReplicaStatus::InSync, "{format}");
    }
    // The history lists the inserts in commit order: Carol's first.
    let shipped: Vec<&str> = verbatim.history().iter().map(|s| s.representations.sql.as_str()).collect();
    assert!(shipped[0].contains("'Carol'") && shipped[1].contains("'Bob'"), "{shipped:?}");
    // The physical follower stored them where the leader did; the logical one in its own order.
    assert_eq!(verbatim.follower(LogFormat::Physical), verbatim.leader());
    assert_eq!(
        verbatim.follower(LogFormat::Logical).location(RowId(44)),
        Some(TupleLocation { block: 231, offset: 149 })
    );

    let fixed = Config { statement_mode: StatementMode::LiteralValues, ..config };
    let mut literal = Comparison::new(Table::course_example(), fixed);
    literal.apply(&action).unwrap();
    assert_eq!(literal.status(LogFormat::Statement), ReplicaStatus::InSync);
    let sqls: Vec<String> = literal.history().iter().map(|s| s.representations.statement.sql.clone()).collect();
    assert!(sqls[0].starts_with("INSERT INTO users (id, name, email, updated_at) VALUES (44, 'Carol'"), "{sqls:?}");
}

/// The chapter's scenario end to end, with the fix toggled halfway: once the leader ships literal values and the
/// follower is rebuilt, replays stop diverging.
#[test]
fn toggling_the_fix_stops_new_divergence() {
    let mut c = Comparison::course_example();
    run_all(&mut c, &[Action::Run(Operation::course_update()), Action::Run(Operation::Anonymize { id: RowId(40) })]);
    assert!(matches!(c.status(LogFormat::Statement), ReplicaStatus::Diverged { .. }));
    run_all(&mut c, &[Action::SetStatementMode(StatementMode::LiteralValues), Action::ResyncStatementFollower]);
    assert_eq!(c.status(LogFormat::Statement), ReplicaStatus::InSync);
    run_all(
        &mut c,
        &[
            Action::Run(Operation::Anonymize { id: RowId(41) }),
            Action::Run(Operation::Insert(NewUser::new("Dan", "dan@example.com"))),
            Action::ConcurrentInserts {
                first: NewUser::new("Eve", "eve@x.org"),
                second: NewUser::new("Fay", "fay@x.org"),
            },
            Action::Run(Operation::Delete { id: RowId(42) }),
        ],
    );
    assert_eq!(c.status(LogFormat::Statement), ReplicaStatus::InSync, "{}", c.render_state());
    expect![[r#"
        leader     5 rows, next id 46, next LSN 0/16B3D30, xid 1049
        statement  5 rows, in sync
        physical   5 rows, in sync
        logical    5 rows, in sync
        trigger    5 rows, in sync
        search     5 docs, 6 terms, in sync
    "#]]
    .assert_eq(&c.render_state());
}

/// WAL shipping couples the follower to the leader's storage format: a follower upgraded first (the rolling
/// upgrade the course says is impossible) stops at the first record, while the logical follower carries on.
#[test]
fn wal_shipping_needs_the_same_storage_format() {
    let config = Config { physical_follower_engine: EngineVersion(16), ..Config::default() };
    let mut c = Comparison::new(Table::course_example(), config);
    c.apply(&Action::Run(Operation::course_update())).unwrap();
    c.apply(&Action::Run(Operation::Delete { id: RowId(40) })).unwrap();
    assert_eq!(
        c.status(LogFormat::Physical),
        ReplicaStatus::Stopped {
            error: ApplyError::FormatVersion { record: EngineVersion(15), replica: EngineVersion(16) }
        }
    );
    assert_eq!(c.follower(LogFormat::Physical).get(RowId(42)).unwrap().name, "Alice", "nothing applied");
    assert_eq!(c.status(LogFormat::Logical), ReplicaStatus::InSync);
    let text = c.trace().render();
    assert!(
        text.contains(
            "The physical follower cannot replay WAL 0/16B3A40: the record is in storage format 15 but the replica \
             reads format 16; it stops."
        ),
        "{text}"
    );

    // A page that does not match what the record expects is refused too.
    let mut other = Table::course_example();
    let reps = render(&Operation::Delete { id: RowId(41) }, &other, &Context::default()).unwrap();
    let mut moved = reps.wal.clone().unwrap();
    moved.offset = 150;
    assert_eq!(other.apply_wal(&moved), Err(ApplyError::LayoutMismatch { block: 231, offset: 150 }));
    let mut late = reps.wal.unwrap();
    late.lsn = Lsn(late.lsn.0 + 8);
    assert!(matches!(other.apply_wal(&late), Err(ApplyError::LsnGap { .. })));
}

/// A statement that matches no row is still shipped by statement-based replication; the row-based formats have
/// nothing to say.
#[test]
fn a_statement_matching_no_row_is_only_in_the_statement_log() {
    let reps = render(&Operation::Delete { id: RowId(7) }, &Table::course_example(), &Context::default()).unwrap();
    assert_eq!(reps.statement.sql, "DELETE FROM users WHERE id=7");
    assert_eq!((reps.change, reps.wal, reps.logical, reps.trigger), (None, None, None, None));
    let reps = render(&Operation::Anonymize { id: RowId(7) }, &Table::course_example(), &Context::default()).unwrap();
    assert!(reps.statement.hazards.is_empty(), "RAND() and NOW() run per matching row");
}

/// The CDC consumer: a search index that follows the logical stream and answers queries the leader never sees.
#[test]
fn cdc_search_index_follows_the_logical_stream() {
    let mut c = Comparison::course_example();
    assert_eq!(c.search_index().search("alice"), vec![RowId(42)]);
    c.apply(&Action::Run(Operation::course_update())).unwrap();
    assert_eq!(c.search_index().search("Smith"), vec![RowId(42)]);
    c.apply(&Action::Run(Operation::Insert(NewUser::new("Zoe Smith", "zoe@example.com")))).unwrap();
    assert_eq!(c.search_index().search("smith"), vec![RowId(42), RowId(43)]);
    c.apply(&Action::Run(Operation::Delete { id: RowId(42) })).unwrap();
    assert_eq!(c.search_index().search("smith"), vec![RowId(43)]);
    assert!(c.search_index().search("alice").is_empty(), "no stale words");
    assert!(c.search_index().terms_consistent());
    assert_eq!(c.search_status(), ReplicaStatus::InSync);
    assert_eq!(c.search_index().applied(), 3);
    let last_lsn = c.history().last().unwrap().representations.wal.as_ref().unwrap().lsn;
    assert_eq!(c.search_index().position(), last_lsn, "what it would acknowledge to its replication slot");

    // An update for a document it never saw cannot be applied: it lists changed columns only.
    let mut empty = SearchIndex::default();
    let record = c.history()[0].representations.logical.clone().unwrap();
    assert_eq!(empty.apply(&record), Err(ApplyError::NoSuchRow(RowId(42))));
}

/// What a widget previews is exactly what the next action ships, RAND() draw included.
#[test]
fn preview_shows_exactly_what_runs_next() {
    let mut c = Comparison::course_example();
    c.apply(&Action::Run(Operation::course_update())).unwrap();
    let op = Operation::Anonymize { id: RowId(41) };
    let preview = c.preview(&op).unwrap();
    c.apply(&Action::Run(op)).unwrap();
    assert_eq!(c.history().last().map(|s| &s.representations), Some(&preview));
}

#[test]
fn text_is_quoted_for_sql_and_json() {
    let op = Operation::Insert(NewUser::new("O'Brien \"Ob\"", "ob@example.com"));
    let reps = render(&op, &Table::course_example(), &Context::default()).unwrap();
    assert_eq!(
        reps.sql,
        r#"INSERT INTO users (name, email, updated_at) VALUES ('O''Brien "Ob"', 'ob@example.com', NOW())"#
    );
    let audit = reps.trigger.unwrap().to_string();
    assert!(audit.contains(r#"'{"name":"O''Brien \"Ob\"","email":"ob@example.com"}'::jsonb"#), "{audit}");
    assert!(reps.logical.unwrap().to_string().contains(r#"name: "O'Brien \"Ob\"""#));
}

#[test]
fn bad_input_is_rejected_with_typed_errors() {
    let table = Table::course_example();
    let ctx = Context::default();
    let long = "x".repeat(TEXT_BYTES_MAX + 1);
    assert_eq!(
        render(&Operation::Rename { id: RowId(42), name: long.clone() }, &table, &ctx),
        Err(OpError::TextTooLong { column: Column::Name, bytes: TEXT_BYTES_MAX + 1 })
    );
    assert_eq!(
        render(&Operation::Insert(NewUser::new("ok", &long)), &table, &ctx),
        Err(OpError::TextTooLong { column: Column::Email, bytes: TEXT_BYTES_MAX + 1 })
    );
    let exhausted = Table::empty(TableLayout { next_id: u32::MAX, ..TableLayout::default() });
    assert_eq!(exhausted.next_auto_id(), ID_MAX, "clamped to INT");
    let mut table = exhausted;
    let insert = Operation::Insert(NewUser::new("last", "l@x"));
    let reps = render(&insert, &table, &ctx).unwrap();
    table.apply_wal(reps.wal.as_ref().unwrap()).unwrap();
    assert_eq!(render(&insert, &table, &ctx), Err(OpError::IdsExhausted));

    // A full table refuses inserts but still takes updates.
    let mut full = Table::default();
    for i in 0..ROWS_MAX {
        let reps = render(&Operation::Insert(NewUser::new(&format!("u{i}"), "e")), &full, &ctx).unwrap();
        full.apply_wal(reps.wal.as_ref().unwrap()).unwrap();
    }
    assert_eq!(full.len(), ROWS_MAX);
    assert_eq!(render(&insert, &full, &ctx), Err(OpError::TableFull));
    assert!(render(&Operation::Rename { id: RowId(5), name: "five".into() }, &full, &ctx).unwrap().wal.is_some());
    assert_eq!(full.location(RowId(292)), Some(TupleLocation { block: 1, offset: 1 }), "291 tuples per page");

    // The session narrates a rejection and moves nothing.
    let mut c = Comparison::course_example();
    let before = c.clone();
    assert!(c.apply(&Action::Run(Operation::Rename { id: RowId(42), name: long })).is_err());
    assert_eq!((c.leader(), c.now(), c.shipped()), (before.leader(), before.now(), 0));
    assert!(c.trace().render().contains("The leader rejects UPDATE users SET name="));

    assert_eq!(Timestamp::from_civil(2023, 2, 29, 0, 0, 0), Err(TimestampError::NoSuchDateTime));
    assert_eq!(Timestamp::from_civil(1969, 12, 31, 0, 0, 0), Err(TimestampError::YearOutOfRange(1969)));
    assert_eq!(Timestamp::from_civil(2024, 1, 15, 24, 0, 0), Err(TimestampError::NoSuchDateTime));
}

#[test]
fn timestamps_print_as_sql_does() {
    assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01 00:00:00");
    assert_eq!(at(9, 30, 1).as_unix_ms(), 1_705_311_001_000);
    assert_eq!(Timestamp::from_civil(2024, 2, 29, 23, 59, 59).unwrap().to_string(), "2024-02-29 23:59:59");
    assert_eq!(Timestamp::MAX.to_string(), "9999-12-31 23:59:59.999");
    assert_eq!(Timestamp::from_unix_ms(u64::MAX), Timestamp::MAX);
    assert_eq!(Timestamp::EPOCH.offset_ms(-5), Timestamp::EPOCH);
    assert_eq!(at(9, 30, 3).ms_since(at(9, 30, 1)), 2_000);
    assert_eq!(Timestamp::from_civil(2000, 1, 1, 0, 0, 0).unwrap().postgres_micros(), 0);
}

#[test]
fn trace_of_the_chapter_story() {
    let mut c = Comparison::course_example();
    run_all(
        &mut c,
        &[
            Action::Run(Operation::course_update()),
            Action::ConcurrentInserts {
                first: NewUser::new("Bob", "bob2@example.com"),
                second: NewUser::new("Carol", "carol@example.com"),
            },
            Action::SetStatementMode(StatementMode::LiteralValues),
            Action::Run(Operation::Anonymize { id: RowId(40) }),
        ],
    );
    let key_lines: String = c
        .trace()
        .events()
        .iter()
        .filter(|e| e.salience == sim::Salience::Key)
        .map(|e| format!("{} {}\n", e.at, e.text))
        .collect();
    expect![[r#"
        t=0.000 s The leader and four followers start from the same 3 rows; each follower is fed by one log format: statements, physical WAL, logical row changes, trigger audit rows.
        t=0.000 s The leader runs UPDATE users SET name='Alice Smith', updated_at=NOW() WHERE id=42 at 2024-01-15 09:30:01: row 42 changes name, updated_at (WAL 0/16B3A40).
        t=0.000 s The statement follower diverges: row 42: updated_at is '2024-01-15 09:30:03' on the follower but '2024-01-15 09:30:01' on the leader; 1 new difference(s), 1 in all.
        t=1.000 s The leader runs INSERT INTO users (name, email, updated_at) VALUES ('Bob', 'bob2@example.com', NOW()) at 2024-01-15 09:30:02: row 43 is inserted (WAL 0/16B3AB8).
        t=1.000 s The leader runs INSERT INTO users (name, email, updated_at) VALUES ('Carol', 'carol@example.com', NOW()) at 2024-01-15 09:30:02: row 44 is inserted (WAL 0/16B3B48).
        t=1.000 s The two inserts ran concurrently: Bob got id 43 and Carol got id 44, but Carol's transaction commits first, so the statement, logical and trigger logs carry it first.
        t=1.000 s The statement follower diverges: row 43: name is 'Carol' on the follower but 'Bob' on the leader; 6 new difference(s), 7 in all.
        t=2.000 s From now on the leader ships statements with its own values in place of NOW(), RAND() and AUTO_INCREMENT.
        t=2.000 s The leader runs UPDATE users SET name=CONCAT('user-', FLOOR(RAND()*10000)), email='redacted', updated_at=NOW() WHERE id=40 at 2024-01-15 09:30:03: row 40 changes name, email, updated_at (WAL 0/16B3BD8).
    "#]].assert_eq(&key_lines);
    expect![[r#"
        leader     5 rows, next id 45, next LSN 0/16B3C38, xid 1046
        statement  5 rows, 7 difference(s), first: row 42: updated_at is '2024-01-15 09:30:03' on the follower but '2024-01-15 09:30:01' on the leader
        physical   5 rows, in sync
        logical    5 rows, in sync
        trigger    5 rows, in sync
        search     5 docs, 6 terms, in sync
    "#]].assert_eq(&c.render_state());
}

// ---------------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------------

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Z][a-z]{0,6}( [A-Z][a-z]{0,6})?",
        1 => "[a-z' \"\\\\]{0,8}",
    ]
}

fn user() -> impl Strategy<Value = NewUser> {
    (name(), "[a-z]{1,6}@example\\.com").prop_map(|(name, email)| NewUser { name, email })
}

fn operation() -> impl Strategy<Value = Operation> {
    let id = (38u32..48).prop_map(RowId);
    prop_oneof![
        (id.clone(), name()).prop_map(|(id, name)| Operation::Rename { id, name }),
        user().prop_map(Operation::Insert),
        id.clone().prop_map(|id| Operation::Delete { id }),
        id.prop_map(|id| Operation::Anonymize { id }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => operation().prop_map(Action::Run),
        1 => (user(), user()).prop_map(|(first, second)| Action::ConcurrentInserts { first, second }),
        1 => prop_oneof![Just(StatementMode::Verbatim), Just(StatementMode::LiteralValues)].prop_map(Action::SetStatementMode),
        1 => Just(Action::ResyncStatementFollower),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (any::<u64>(), any::<u64>(), -5_000i64..5_000, 0u64..5_000).prop_map(
        |(leader_seed, follower_seed, offset, interval)| Config {
            leader_seed,
            follower_seed,
            follower_now_offset_ms: offset,
            op_interval_ms: interval,
            ..Config::default()
        },
    )
}

/// The row-carrying followers and the CDC consumer against the leader, after an action.
fn check_row_based(c: &Comparison) -> Result<(), TestCaseError> {
    prop_assert_eq!(c.follower(LogFormat::Physical), c.leader(), "byte-for-byte: same pages, same LSN");
    for format in [LogFormat::Logical, LogFormat::Trigger] {
        prop_assert_eq!(c.status(format), ReplicaStatus::InSync, "{}\n{}", format, c.render_state());
    }
    prop_assert_eq!(c.search_status(), ReplicaStatus::InSync, "{}", c.render_state());
    prop_assert!(c.search_index().terms_consistent());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, .. ProptestConfig::default() })]

    /// Whatever the reader does, the physical, logical and trigger followers and the search index fed by change
    /// data capture match the leader after every single action.
    #[test]
    fn cdc_and_row_based_followers_stay_in_sync(config in config(), actions in prop::collection::vec(action(), 0..24)) {
        let mut c = Comparison::new(Table::course_example(), config);
        check_row_based(&c)?;
        for action in &actions {
            let _ = c.apply(action);
            check_row_based(&c)?;
        }
    }

    /// With literal values shipped, statement replay matches the leader whatever the clocks, seeds and order of
    /// commits.
    #[test]
    fn literal_statements_never_diverge(config in config(), actions in prop::collection::vec(action(), 0..24)) {
        let config = Config { statement_mode: StatementMode::LiteralValues, ..config };
        let mut c = Comparison::new(Table::course_example(), config);
        for action in actions.iter().filter(|a| !matches!(a, Action::SetStatementMode(_))) {
            let _ = c.apply(action);
            prop_assert_eq!(c.status(LogFormat::Statement), ReplicaStatus::InSync, "{}", c.render_state());
        }
    }

    /// Verbatim statements replayed with the same clock, the same seed and in execution order reproduce the
    /// leader exactly: divergence comes only from a different environment or order.
    #[test]
    fn verbatim_statements_in_an_identical_environment_do_not_diverge(
        seed in any::<u64>(),
        ops in prop::collection::vec(operation(), 0..24),
    ) {
        let config = Config { leader_seed: seed, follower_seed: seed, follower_now_offset_ms: 0, ..Config::default() };
        let mut c = Comparison::new(Table::course_example(), config);
        for op in ops {
            let _ = c.apply(&Action::Run(op));
            prop_assert_eq!(c.status(LogFormat::Statement), ReplicaStatus::InSync, "{}", c.render_state());
        }
    }

    /// Same configuration and actions: the same run.
    #[test]
    fn runs_are_deterministic(config in config(), actions in prop::collection::vec(action(), 0..16)) {
        let mut a = Comparison::new(Table::course_example(), config);
        let mut b = Comparison::new(Table::course_example(), config);
        for action in &actions {
            prop_assert_eq!(a.apply(action), b.apply(action));
        }
        prop_assert_eq!(a, b);
    }

    /// No input panics: any text, any id, any clock, seed, offset, interval, storage format and table layout give
    /// a result or a typed error, and everything prints.
    #[test]
    fn no_input_panics(
        texts in prop::collection::vec(".{0,80}", 4),
        ids in prop::collection::vec(any::<u32>(), 4),
        start_ms in any::<u64>(),
        offset_ms in any::<i64>(),
        interval_ms in any::<u64>(),
        seeds in (any::<u64>(), any::<u64>()),
        engine in any::<u16>(),
        layout in (any::<u32>(), any::<u32>(), any::<u16>(), any::<u64>(), any::<u32>()),
        mode in prop_oneof![Just(StatementMode::Verbatim), Just(StatementMode::LiteralValues)],
    ) {
        let (next_id, block, offset, lsn, xid) = layout;
        let table = Table::empty(TableLayout {
            next_id,
            next_location: TupleLocation { block, offset },
            next_lsn: Lsn(lsn),
            next_xid: xid,
            engine: EngineVersion(engine),
        });
        let config = Config {
            start: Timestamp::from_unix_ms(start_ms),
            op_interval_ms: interval_ms,
            follower_now_offset_ms: offset_ms,
            leader_seed: seeds.0,
            follower_seed: seeds.1,
            statement_mode: mode,
            physical_follower_engine: EngineVersion(engine.wrapping_add(u16::from(xid % 2 == 0))),
        };
        let ops = vec![
            Operation::Insert(NewUser { name: texts[0].clone(), email: texts[1].clone() }),
            Operation::Insert(NewUser { name: texts[2].clone(), email: "e".into() }),
            Operation::Rename { id: RowId(ids[0]), name: texts[3].clone() },
            Operation::Anonymize { id: RowId(ids[1]) },
            Operation::Rename { id: RowId(next_id.min(ID_MAX)), name: texts[1].clone() },
            Operation::Delete { id: RowId(ids[2]) },
            Operation::Delete { id: RowId(next_id.min(ID_MAX)) },
        ];
        let mut c = Comparison::new(table.clone(), config);
        for op in &ops {
            let ctx = Context {
                leader_now: Timestamp::from_unix_ms(start_ms),
                follower_now_offset_ms: offset_ms,
                leader_rand_seed: seeds.0,
                follower_rand_seed: seeds.1,
                statement_mode: mode,
            };
            if let Ok(reps) = render(op, c.leader(), &ctx) {
                let _ = reps.to_string();
                // Records applied to a table they were not written for fail cleanly.
                let mut stranger = Table::course_example();
                if let Some(wal) = &reps.wal {
                    let _ = stranger.apply_wal(wal);
                }
                if let Some(logical) = &reps.logical {
                    let _ = stranger.apply_logical(logical);
                    let _ = SearchIndex::default().apply(logical);
                }
                if let Some(audit) = &reps.trigger {
                    let _ = stranger.apply_audit(audit);
                }
            }
            let _ = c.preview(op);
            let _ = c.apply(&Action::Run(op.clone()));
        }
        let _ = c.apply(&Action::ConcurrentInserts {
            first: NewUser { name: texts[3].clone(), email: texts[0].clone() },
            second: NewUser { name: texts[2].clone(), email: texts[1].clone() },
        });
        let _ = c.render_state();
        let _ = c.replicas();
        let _ = c.trace().render();
        for d in c.leader().diff(c.follower(LogFormat::Statement)) {
            let _ = d.describe();
        }
    }

    /// Timestamps print the calendar date and time they were built from.
    #[test]
    fn timestamps_round_trip(y in 1970i64..=9999, mo in 1u32..=12, d in 1u32..=28, h in 0u32..24, mi in 0u32..60, s in 0u32..60) {
        let t = Timestamp::from_civil(y, mo, d, h, mi, s).unwrap();
        prop_assert_eq!(t.to_string(), format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"));
    }
}
