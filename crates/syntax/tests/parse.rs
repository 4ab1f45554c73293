//! Unit tests of the front end: expressions, declarations, init blocks,
//! conditions, handlers, macros, errors and prelude spans.

use kvet_syntax::*;

/// An expression written back fully parenthesized.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Ident(s) => s.clone(),
        ExprKind::Unary(op, a) => match op {
            UnOp::PostInc => format!("({}++)", show(a)),
            UnOp::PostDec => format!("({}--)", show(a)),
            _ => {
                let o = match op {
                    UnOp::Neg => "-",
                    UnOp::Not => "!",
                    UnOp::BitNot => "~",
                    UnOp::Deref => "*",
                    UnOp::AddrOf => "&",
                    UnOp::Plus => "+",
                    UnOp::PreInc => "++",
                    UnOp::PreDec => "--",
                    _ => "?",
                };
                format!("({o}{})", show(a))
            }
        },
        ExprKind::Binary(op, a, b) => format!("({} {} {})", show(a), binop(*op), show(b)),
        ExprKind::Assign(op, a, b) => {
            format!("({} {}= {})", show(a), op.map(binop).unwrap_or(""), show(b))
        }
        ExprKind::Cond(c, a, b) => format!("({} ? {} : {})", show(c), show(a), show(b)),
        ExprKind::Call(f, args) => {
            format!("{}({})", show(f), args.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Member(a, f) => format!("{}.{f}", show(a)),
        ExprKind::Arrow(a, f) => format!("{}->{f}", show(a)),
        ExprKind::Index(a, i) => format!("{}[{}]", show(a), show(i)),
        ExprKind::Cast(t, a) => format!("(({}){})", ty(t), show(a)),
        ExprKind::SizeofType(t) => format!("sizeof({})", ty(t)),
        ExprKind::SizeofExpr(a) => format!("sizeof {}", show(a)),
        ExprKind::Comma(a, b) => format!("({}, {})", show(a), show(b)),
        ExprKind::InitList(es) => {
            let parts: Vec<String> = es
                .iter()
                .map(|(d, e)| match d {
                    Some(Designator::Field(f)) => format!(".{f} = {}", show(e)),
                    Some(Designator::Index(i)) => format!("[{}] = {}", show(i), show(e)),
                    None => show(e),
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        ExprKind::TypeArg(t) => format!("type {}", ty(t)),
        ExprKind::StmtExpr(b) => format!("({{ {} stmts }})", b.stmts.len()),
    }
}

fn binop(op: BinOp) -> &'static str {
    use BinOp::*;
    match op {
        Add => "+",
        Sub => "-",
        Mul => "*",
        Div => "/",
        Rem => "%",
        Shl => "<<",
        Shr => ">>",
        BitAnd => "&",
        BitOr => "|",
        BitXor => "^",
        And => "&&",
        Or => "||",
        Eq => "==",
        Ne => "!=",
        Lt => "<",
        Le => "<=",
        Gt => ">",
        Ge => ">=",
    }
}

fn ty(t: &Type) -> String {
    match t {
        Type::Void => "void".into(),
        Type::Base(s) => s.clone(),
        Type::Named(s) => format!("named {s}"),
        Type::Struct(s) => format!("struct {s}"),
        Type::Union(s) => format!("union {s}"),
        Type::Enum(s) => format!("enum {s}"),
        Type::Ptr(t) => format!("{}*", ty(t)),
        Type::Array(t, n) => format!("{}[{}]", ty(t), n.as_ref().map(|e| show(e)).unwrap_or_default()),
        Type::Func(r, ps) => {
            format!("fn({}) -> {}", ps.iter().map(ty).collect::<Vec<_>>().join(", "), ty(r))
        }
        Type::TypeOf(e) => format!("typeof({})", show(e)),
    }
}

fn test_file(pre: &str, body: &str) -> String {
    format!("C t\n{{}}\n{pre}\nP0(int *x, int *y)\n{{\n{body}\n}}\nexists (x=0)\n")
}

fn body_of(f: &File) -> &Block {
    for it in &f.items {
        if let Item::Proc(p) = it {
            return &p.body;
        }
    }
    panic!("no process");
}

fn stmts(pre: &str, body: &str) -> Vec<Stmt> {
    let src = test_file(pre, body);
    match parse(&src) {
        Ok(f) => body_of(&f).stmts.clone(),
        Err(e) => panic!("{}: {} at {:?}\n{src}", e.message, e.label, line_col(&src, e.span.lo)),
    }
}

/// The expression of a one-expression-statement body.
fn expr_with(pre: &str, e: &str) -> String {
    let s = stmts(pre, &format!("{e};"));
    match &s[..] {
        [Stmt { kind: StmtKind::Expr(e), .. }] => show(e),
        other => panic!("not one expression statement: {other:?}"),
    }
}

fn expr(e: &str) -> String {
    expr_with("", e)
}

fn err(src: &str) -> (Error, (u32, u32)) {
    match parse(src) {
        Ok(f) => panic!("parsed: {f:?}"),
        Err(e) => {
            let lc = line_col(src, e.span.lo);
            (e, lc)
        }
    }
}

#[test]
fn precedence() {
    assert_eq!(expr("a + b * c - d"), "((a + (b * c)) - d)");
    assert_eq!(expr("a = b = c"), "(a = (b = c))");
    assert_eq!(expr("a += b << 1 | c"), "(a += ((b << 1) | c))");
    assert_eq!(expr("a || b && c | d ^ e & f == g < h"), "(a || (b && (c | (d ^ (e & (f == (g < h)))))))");
    assert_eq!(expr("a ? b : c ? d : e"), "(a ? b : (c ? d : e))");
    assert_eq!(expr("a, b = c"), "(a, (b = c))");
    assert_eq!(expr("-a++"), "(-(a++))");
    assert_eq!(expr("*p->q[1].r"), "(*p->q[1].r)");
    assert_eq!(expr("!~-x"), "(!(~(-x)))");
    assert_eq!(expr("a - -1"), "(a - -1)");
    assert_eq!(expr("x >>= 2"), "(x >>= 2)");
    assert_eq!(expr("a / b % c"), "((a / b) % c)");
    assert_eq!(expr("&x[0]"), "(&x[0])");
    assert_eq!(expr("(*x)++"), "((*x)++)");
    assert_eq!(expr("f(a, (b, c))"), "f(a, (b, c))");
    assert_eq!(expr("\"a\" \"b\""), "\"ab\"");
    assert_eq!(expr("'a' + 0x10 + 010 + 5ul"), "(((97 + 16) + 8) + ((unsigned long)5))");
}

#[test]
fn casts_and_types() {
    assert_eq!(expr("(int)x"), "((int)x)");
    assert_eq!(expr("(x)+1"), "(x + 1)");
    assert_eq!(expr("(unsigned long long int)x"), "((unsigned long long)x)");
    assert_eq!(expr("(unsigned)x"), "((unsigned int)x)");
    assert_eq!(expr("(signed char)x"), "((signed char)x)");
    assert_eq!(expr("(_Bool)x"), "((bool)x)");
    assert_eq!(expr("(void *)0"), "((void*)0)");
    assert_eq!(expr("*(void **)y"), "(*((void**)y))");
    assert_eq!(expr("(struct foo *)p"), "((struct foo*)p)");
    assert_eq!(expr("(uintptr_t)p"), "((uintptr_t)p)");
    assert_eq!(expr("(my_own_t)p"), "((my_own_t)p)");
    assert_eq!(expr_with("typedef int T;", "(T)x"), "((named T)x)");
    assert_eq!(expr_with("typedef int T;", "(T *)x"), "((named T*)x)");
    assert_eq!(expr("sizeof(struct foo)"), "sizeof(struct foo)");
    assert_eq!(expr("sizeof x"), "sizeof x");
    assert_eq!(expr("sizeof(x)"), "sizeof x");
    assert_eq!(expr("container_of(p, struct foo, m)"), "container_of(p, type struct foo, m)");
    assert_eq!(expr("list_entry(p, foo_t, m)"), "list_entry(p, type foo_t, m)");
    assert_eq!(expr("offsetof(struct foo, f)"), "offsetof(type struct foo, f)");
    assert_eq!(expr("f(NULL, true, false)"), "f(NULL, true, false)");
    assert_eq!(expr("(struct foo){ .a = 1 }"), "((struct foo){.a = 1})");
    // Global function pointers are code, not herd comments.
    let f = parse("C t\nint *(*fp)(void);\nvoid (*g)(int);\n{}\nexists (x=1)").unwrap();
    assert_eq!(f.items.len(), 2);
}

#[test]
fn declarations() {
    let s = stmts("typedef int T;", "T *a; a * b; foo_t c, *d = 0; unsigned long flags; struct foo __rcu *gp; int arr[2][3]; void (*fn)(int, char *); const volatile int k = 1;");
    let decl = |i: usize| match &s[i].kind {
        StmtKind::Decl(ds) => ds.iter().map(|d| format!("{} {}", ty(&d.ty), d.name)).collect::<Vec<_>>().join(", "),
        other => format!("{other:?}"),
    };
    assert_eq!(decl(0), "named T* a");
    assert!(matches!(s[1].kind, StmtKind::Expr(_)), "a * b is an expression");
    assert_eq!(decl(2), "foo_t c, foo_t* d");
    assert_eq!(decl(3), "unsigned long flags");
    assert_eq!(decl(4), "struct foo* gp");
    assert_eq!(decl(5), "int[3][2] arr");
    assert_eq!(decl(6), "fn(int, char*) -> void* fn");
    assert_eq!(decl(7), "int k");
    let s = stmts("", "struct s v = { .a = 1, [2] = 3, 4 };");
    match &s[0].kind {
        StmtKind::Decl(ds) => {
            assert_eq!(show(ds[0].init.as_ref().unwrap()), "{.a = 1, [2] = 3, 4}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn statements() {
    let s = stmts(
        "",
        "if (a) b(); else { c(); } while (x) break; do { continue; } while (0); \
         for (int i = 0; i < 2; i++) ; for (;;) return; switch (x) { case 1: y(); default: break; } \
         goto out; out: ; return 1;",
    );
    let kinds: Vec<&str> = s
        .iter()
        .map(|s| match &s.kind {
            StmtKind::If(_, _, Some(_)) => "ifelse",
            StmtKind::While(..) => "while",
            StmtKind::DoWhile(..) => "do",
            StmtKind::For(Some(_), Some(_), Some(_), _) => "for3",
            StmtKind::For(None, None, None, _) => "for0",
            StmtKind::Switch(..) => "switch",
            StmtKind::Goto(_) => "goto",
            StmtKind::Label(..) => "label",
            StmtKind::Return(Some(_)) => "return",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["ifelse", "while", "do", "for3", "for0", "switch", "goto", "label", "return"]);
}

#[test]
fn init_block_forms() {
    let src = "C t\n{\n x=1; y = -1; int z = 2; int *p = &x; int *q = y; spinlock_t l; int w;\n \
               0:r1=x; 1:r2 = 0; atomic_t a = ATOMIC_INIT(1); int a2[2]; struct foo s; \
               unsigned long flags = 0; int 0:r3 = 4; int *1:r4 = &y; DYNTICKS=0 (* c *)\n}\n\
               P0(int *x) { }\nexists (x=1)\n";
    let f = parse(src).unwrap();
    let got: Vec<String> = f
        .init
        .iter()
        .map(|e| {
            format!(
                "{}{}{}={}",
                e.thread.map(|t| format!("{t}:")).unwrap_or_default(),
                e.ty.as_ref().map(|t| format!("{} ", ty(t))).unwrap_or_default(),
                e.name,
                e.value.as_ref().map(show).unwrap_or_else(|| "_".into())
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "x=1",
            "y=-1",
            "int z=2",
            "int* p=(&x)",
            "int* q=y",
            "spinlock_t l=_",
            "int w=_",
            "0:r1=x",
            "1:r2=0",
            "atomic_t a=ATOMIC_INIT(1)",
            "int[2] a2=_",
            "struct foo s=_",
            "unsigned long flags=0",
            "0:int r3=4",
            "1:int* r4=(&y)",
            "DYNTICKS=0",
        ]
    );
    // The last `;` is optional, and `{}` is empty.
    assert_eq!(parse("C t\n{ x = 1 }\nexists (x=1)").unwrap().init.len(), 1);
    assert!(parse("C t\n{}\nexists (x=1)").unwrap().init.is_empty());
    // No init block at all.
    assert!(parse("C t\nint g;\nP0(void) { g = 1; }\nexists (g=1)").unwrap().init.is_empty());
}

fn cond_of(fin: &str) -> Final {
    parse(&format!("C t\n{{}}\nP0(int *x) {{ }}\n{fin}\n")).unwrap_or_else(|e| panic!("{}", e.message)).fin
}

fn show_cond(c: &Cond) -> String {
    match c {
        Cond::True => "T".into(),
        Cond::False => "F".into(),
        Cond::Not(a) => format!("~{}", show_cond(a)),
        Cond::And(a, b) => format!("({} & {})", show_cond(a), show_cond(b)),
        Cond::Or(a, b) => format!("({} | {})", show_cond(a), show_cond(b)),
        Cond::Implies(a, b) => format!("({} => {})", show_cond(a), show_cond(b)),
        Cond::Atom { loc, negated, value, .. } => {
            format!("{}{}{}", show_loc(loc), if *negated { "!=" } else { "=" }, show_val(value))
        }
    }
}

fn show_loc(l: &Loc) -> String {
    match l {
        Loc::Reg { thread, name, .. } => format!("{thread}:{name}"),
        Loc::Global { path, .. } => show_path(path),
        Loc::Deref { inner, .. } => format!("*{}", show_loc(inner)),
    }
}

fn show_path(p: &LocPath) -> String {
    let mut s = p.base.clone();
    for st in &p.steps {
        match st {
            PathStep::Index(i) => s += &format!("[{i}]"),
            PathStep::Field(f) => s += &format!(".{f}"),
        }
    }
    s
}

fn show_val(v: &CondValue) -> String {
    match v {
        CondValue::Int(n) => n.to_string(),
        CondValue::Addr(p) => format!("&{}", show_path(p)),
        CondValue::Loc(l) => format!("@{}", show_loc(l)),
    }
}

#[test]
fn conditions() {
    let q = |s: &str| {
        let f = cond_of(s);
        let (q, c) = f.quant.expect("a quantifier");
        format!("{q:?} {}", show_cond(&c))
    };
    assert_eq!(q("exists (0:r1=1 /\\ 1:r1=0)"), "Exists (0:r1=1 & 1:r1=0)");
    assert_eq!(q("exists 0:r1=1 /\\ x=2 \\/ y=3"), "Exists ((0:r1=1 & x=2) | y=3)");
    assert_eq!(q("~exists (x == -1)"), "NotExists x=-1");
    assert_eq!(q("forall (x != 0x10) => true"), "Forall (x!=16 => T)");
    assert_eq!(q("exists (~x=1 /\\ not (y=2))"), "Exists (~x=1 & ~y=2)");
    assert_eq!(q("exists (0:r1=y /\\ 1:r2=0:r1 /\\ *p=1)"), "Exists ((0:r1=&y & 1:r2=@0:r1) & *p=1)");
    assert_eq!(q("exists (a[1]=2 /\\ s.f=3) (* trailing *)"), "Exists (a[1]=2 & s.f=3)");
    assert_eq!(q("exists (x=1);"), "Exists x=1");
    assert_eq!(q("exists (false \\/ (x=1))"), "Exists (F | x=1)");
    let f = cond_of("locations [x; 0:r1; y;]\nfilter (0:r1=1)\nexists (x=1)");
    assert_eq!(f.locations.iter().map(show_loc).collect::<Vec<_>>(), ["x", "0:r1", "y"]);
    assert_eq!(show_cond(f.filter.as_ref().unwrap()), "0:r1=1");
    // No final clause at all.
    assert!(cond_of("").quant.is_none());
}

#[test]
fn handlers() {
    let f = parse("C t\n{}\nIRQ(1) void h(void) { }\nIRQ(0, 3) void g(void) { x(); }\nSOFTIRQ(2, 2) void s(void) {}\nSOFTIRQ(0) void t(void) {}\nP0(int *x) {}\nexists (x=1)").unwrap();
    let hs: Vec<(HandlerKind, u32, u32, String)> = f
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Handler(h) => Some((h.kind, h.cpu, h.times, h.func.name.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        hs,
        [
            (HandlerKind::Hardirq, 1, 1, "h".to_string()),
            (HandlerKind::Hardirq, 0, 3, "g".to_string()),
            (HandlerKind::Softirq, 2, 2, "s".to_string()),
            (HandlerKind::Softirq, 0, 1, "t".to_string()),
        ]
    );
    let (e, _) = err("C t\n{}\nIRQ(0, 0) void h(void) {}\n");
    assert!(e.message.contains("at least once"), "{}", e.message);
}

#[test]
fn items() {
    let f = parse(
        "C t\n\
         struct node { int v; struct node *next; };\n\
         union u { int a; long b; };\n\
         enum color { RED, GREEN = 3, };\n\
         typedef struct { int a; } anon_t;\n\
         int helper(int a);\n\
         static inline int helper(int a) { return a + 1; }\n\
         int g = 1, h;\n\
         {}\n\
         void P1(int *x) { }\n\
         P0(int *x) { anon_t v; }\n\
         exists (x=1)",
    )
    .unwrap();
    let names: Vec<String> = f
        .items
        .iter()
        .map(|i| match i {
            Item::Proc(p) => format!("P{}", p.index),
            Item::Func(d) => format!("fn {}", d.name),
            Item::Struct(s) => {
                format!("{} {}", if s.is_union { "union" } else { "struct" }, s.name)
            }
            Item::Enum(e) => format!("enum {} {}", e.name, e.variants.len()),
            Item::Typedef(t) => format!("typedef {} {}", t.name, ty(&t.ty)),
            Item::Global(g) => format!("global {}", g.name),
            Item::Handler(h) => format!("handler {}", h.func.name),
        })
        .collect();
    assert_eq!(
        names,
        [
            "struct node",
            "union u",
            "enum color 2",
            "struct <anonymous 1>",
            "typedef anon_t struct <anonymous 1>",
            "fn helper",
            "global g",
            "global h",
            "P1",
            "P0",
        ]
    );
}

#[test]
fn header_and_doc() {
    let f = parse("C MP+x free text\n\"a doc\"\nCycle=Rfe PodRR\nOrig=Fre\n(* comment *)\n{ x = 1; }\nexists (x=1)")
        .unwrap();
    assert_eq!(f.name, "MP+x");
    assert_eq!(f.doc, "free text\na doc\ncomment");
    assert_eq!(f.arch, "C");
}

#[test]
fn non_c_headers() {
    for (src, word) in [("LISA foo\n{}\n", "LISA"), ("\n  PPC bar\n", "PPC"), ("ARM x", "ARM")] {
        let (e, _) = err(src);
        assert_eq!(
            e.message,
            format!("not a C litmus test: the header says {word} (kvet reads C litmus tests and scenarios)")
        );
        assert_eq!(&src[e.span.range()], word);
    }
    let (e, _) = err("");
    assert!(e.message.starts_with("empty file"));
    let (e, _) = err("C\n{}\n");
    assert!(e.message.contains("name of the test"));
}

#[test]
fn macros() {
    let pre = "#define N 2\n#define SQ(a) ((a) * (a))\n#define TWICE(f, x) f(f(x))\n#define SELF SELF + 1\n\
               #define CAT(a, b) a ## b\n#define STR(a) #a\n#define V(fmt, ...) g(fmt, ##__VA_ARGS__)\n\
               #define EMPTY\n#define LOOP(i) for (i = 0; i < N; i++)\n#include <linux/foo.h>\n#include \"bar.h\"";
    assert_eq!(expr_with(pre, "SQ(N + 1)"), "((2 + 1) * (2 + 1))");
    assert_eq!(expr_with(pre, "TWICE(SQ, 3)"), "((3 * 3) * (3 * 3))");
    assert_eq!(expr_with(pre, "SELF"), "(SELF + 1)");
    assert_eq!(expr_with(pre, "CAT(fo, o)(1)"), "foo(1)");
    assert_eq!(expr_with(pre, "STR(a + b)"), "\"a + b\"");
    assert_eq!(expr_with(pre, "V(1)"), "g(1)");
    assert_eq!(expr_with(pre, "V(1, 2, 3)"), "g(1, 2, 3)");
    assert_eq!(expr_with(pre, "EMPTY x EMPTY"), "x");
    let s = stmts(pre, "int i; LOOP(i) { f(i); }");
    assert!(matches!(s[1].kind, StmtKind::For(..)));
    // A function-like macro name without `(` is a plain name.
    assert_eq!(expr_with(pre, "SQ"), "SQ");
    // Line continuation.
    assert_eq!(expr_with("#define LONG 1 + \\\n 2", "LONG"), "(1 + 2)");
    // Conditionals.
    let cond = "#if 0\n bad bad bad 'x\n#else\n#define A 1\n#endif\n#ifdef A\n#define B 2\n#endif\n\
                #ifndef A\n#define B 3\n#endif\n#if defined(A) && B == 2\n#define C 4\n#elif 1\n#define C 5\n#endif\n#undef A\n#ifdef A\n#error no\n#endif";
    assert_eq!(expr_with(cond, "A + B + C"), "((A + 2) + 4)");
}

#[test]
fn macro_errors() {
    let (e, _) = err(&test_file("#foo bar", ""));
    assert_eq!(e.message, "unknown preprocessor directive '#foo'");
    let (e, _) = err(&test_file("#if 1\n", ""));
    assert!(e.message.contains("no matching '#endif'"), "{}", e.message);
    let (e, _) = err(&test_file("#endif", ""));
    assert!(e.message.contains("without a matching '#if'"), "{}", e.message);
    let (e, _) = err(&test_file("#define F(a, b) a", "F(1);"));
    assert_eq!(e.message, "macro 'F' takes 2 arguments, but 1 was given");
    let (e, _) = err(&test_file("#define F(a) a", "F(1;"));
    assert!(e.message.contains("unterminated use of macro 'F'"), "{}", e.message);
    let (e, _) = err(&test_file("#error stop here", ""));
    assert_eq!(e.message, "#error stop here");
    // Exponential macros are cut off, not run forever.
    let mut boom = String::from("#define A0 x\n");
    for i in 1..40 {
        boom += &format!("#define A{i} A{} A{}\n", i - 1, i - 1);
    }
    let (e, _) = err(&test_file(&boom, "A39;"));
    assert!(e.message.contains("too large"), "{}", e.message);
}

#[test]
fn macro_spans_point_at_the_use() {
    let src = test_file("#define BAD(x) x + )", "  BAD(1);");
    let (e, _) = err(&src);
    let at = src.find("BAD(1)").unwrap();
    assert_eq!(e.span.range(), at..at + "BAD(1)".len(), "{}", e.message);
    let src = test_file("#define Z 0", "f(Z);");
    let s = match &parse(&src).unwrap().items[0] {
        Item::Proc(p) => p.body.stmts[0].clone(),
        _ => unreachable!(),
    };
    let StmtKind::Expr(Expr { kind: ExprKind::Call(_, args), .. }) = &s.kind else { panic!() };
    let at = src.find("f(Z)").unwrap() + 2;
    assert_eq!(args[0].span.range(), at..at + 1);
}

#[test]
fn error_spans() {
    // Missing `;` at the end of a line: reported just after `1`.
    let src = "C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1)\n\tint r;\n}\nexists (x=1)\n";
    let (e, lc) = err(src);
    assert_eq!(e.message, "expected ';' after expression");
    assert_eq!(e.label, "expected ';' here");
    assert_eq!(lc, (5, 19));
    // Missing `)`.
    let (e, lc) = err("C t\n{}\nP0(int *x)\n{\n\tif (a { }\n}\n");
    assert_eq!(e.message, "expected ')' to close the 'if' condition");
    assert_eq!(lc, (5, 8));
    // Unclosed block.
    let (e, lc) = err("C t\n{}\nP0(int *x)\n{\n\tx();\n");
    assert!(e.message.contains("never closed"), "{}", e.message);
    assert_eq!(lc, (4, 1));
    // Bad condition.
    let (e, lc) = err("C t\n{}\nP0(int *x) {}\nexists (0:r1 1)\n");
    assert_eq!(e.message, "expected '=' or '!=' after the location in the condition");
    assert_eq!(lc, (4, 14));
    // Lexer errors.
    let (e, lc) = err("C t\n{}\nP0(int *x) {\n  x = 1 @ 2;\n}\n");
    assert_eq!(e.message, "unexpected character '@'");
    assert_eq!(lc, (4, 9));
    let (e, lc) = err("C t\n{}\n/* open\nP0(int *x) {}\n");
    assert!(e.message.starts_with("unterminated comment"), "{}", e.message);
    assert_eq!(lc, (3, 1));
    let (e, lc) = err("C t\n{}\nP0(int *x) { f(\"abc); }\n");
    assert_eq!(e.message, "unterminated string literal");
    assert_eq!(lc, (3, 16));
    // Garbage after the final condition.
    let (e, lc) = err("C t\n{}\nP0(int *x) {}\nexists (x=1)\nP1(int *y) {}\n");
    assert!(e.message.contains("after the final condition"), "{}", e.message);
    assert_eq!(lc, (5, 1));
    // A second init block.
    let (e, _) = err("C t\n{}\n{}\n");
    assert_eq!(e.message, "a second init block");
    // An undefined kernel macro at the top level.
    let (e, lc) = err("C t\n{}\nstatic DEFINE_SPINLOCK(lock);\nP0(int *x) {}\n");
    assert!(e.message.starts_with("'DEFINE_SPINLOCK(...)' at the top level"), "{}", e.message);
    assert_eq!(lc, (3, 8));
    // GNU statement expression: parsed; an unclosed one is an error.
    assert!(parse(&test_file("", "r = ({ int t = 1; t; });")).is_ok());
    let (e, _) = err(&test_file("", "r = ({ 1; };"));
    assert!(e.message.contains("statement expression"), "{}", e.message);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [("(", ")"), ("-", ""), ("{", "}"), ("*", "")] {
        let body = format!("x = {}1{};", open.repeat(100_000), close.repeat(100_000));
        let src = if open == "{" {
            test_file("", &format!("{}{}", "{".repeat(100_000), "}".repeat(100_000)))
        } else {
            test_file("", &body)
        };
        let (e, _) = err(&src);
        assert!(e.message.contains("nested too deeply"), "{}", e.message);
    }
    let src = format!("C t\n{{}}\nP0(int *x) {{}}\nexists {}x=1{}", "(".repeat(50_000), ")".repeat(50_000));
    assert!(err(&src).0.message.contains("nested too deeply"));
    // Nesting up to the limit is fine (and fits a test thread's stack).
    let n = 250;
    assert_eq!(expr(&format!("{}x{}", "(".repeat(n), ")".repeat(n))), "x");
    expr(&format!("x{}", " = x".repeat(n)));
    expr(&format!("{}x", "-*!~".repeat(n / 4)));
    expr(&format!("{}x{}", "f(".repeat(n), ")".repeat(n)));
    expr(&format!("{}x{}", "a[".repeat(n), "]".repeat(n)));
    expr(&format!("{}x{}", "c ? ".repeat(n), " : d".repeat(n)));
    expr(&format!("{}x", "(int)".repeat(n)));
    stmts("", &format!("{}{}", "{".repeat(n), "}".repeat(n)));
    stmts("", &format!("{}x();", "if (a) ".repeat(n)));
    stmts("", &format!("int {}x{};", "(".repeat(n), ")".repeat(n)));
    stmts("", &format!("int x = {}1{};", "{".repeat(n), "}".repeat(n)));
    cond_of(&format!("exists {}x=1{}", "(".repeat(n), ")".repeat(n)));
    cond_of(&format!("exists {}x=1", "~".repeat(n)));
}

#[test]
fn prelude() {
    let prelude = "#define LOCKED 1\ntypedef int lock_word;\nstruct pair { int a, b; };\nstatic inline void set(int *p) { *p = LOCKED; }\n";
    let src = "C t\n{}\nP0(int *x) { lock_word w = LOCKED; set(x); }\nexists (x=1)\n";
    let f = parse_with_prelude(prelude, src).unwrap();
    // Prelude items come first.
    assert!(matches!(&f.items[0], Item::Typedef(t) if t.name == "lock_word" && t.span.lo >= PRELUDE_BASE));
    assert!(matches!(&f.items[1], Item::Struct(s) if s.name == "pair"));
    let Item::Func(set) = &f.items[2] else { panic!("{:?}", f.items[2]) };
    let at = prelude.find("static").unwrap() as u32;
    assert_eq!(set.span.lo, PRELUDE_BASE + at);
    assert!(set.span.is_prelude());
    let Item::Proc(p) = &f.items[3] else { panic!() };
    assert!(!p.span.is_prelude());
    let StmtKind::Decl(ds) = &p.body.stmts[0].kind else { panic!() };
    assert_eq!(ds[0].ty, Type::Named("lock_word".into()));
    // The macro use in the file is spanned in the file.
    let init = ds[0].init.as_ref().unwrap();
    assert_eq!(init.kind, ExprKind::Int(1));
    assert_eq!(&src[init.span.range()], "LOCKED");
    // Errors in the prelude are offset too.
    let e = parse_with_prelude("int x = ;\n", src).unwrap_err();
    assert_eq!(e.span.lo, PRELUDE_BASE + 8);
    let e = parse_with_prelude("{ x = 1; }", src).unwrap_err();
    assert!(e.span.is_prelude() && e.message.contains("init block"));
    // The file's own errors are not.
    let e = parse_with_prelude(prelude, "C t\n{}\nP0(int *x) { x = ; }\n").unwrap_err();
    assert!(!e.span.is_prelude());
}

#[test]
fn kernel_style_code() {
    let s = stmts(
        "struct foo { int a; struct list_head list; };\n#define list_for_each_entry(pos, head, member) \\\n for (pos = list_first_entry(head, typeof(*pos), member); &pos->member != (head); pos = list_next_entry(pos, member))",
        "struct foo *pos; static int cnt; unsigned long flags; \
         list_for_each_entry(pos, &head, list) { WRITE_ONCE(pos->a, 1); } \
         spin_lock_irqsave(&lock, flags); __schedule(); r = smp_load_acquire(&x->a); \
         struct foo __rcu *gp = rcu_dereference(p); mutex m; struct mutex mm; \
         int __maybe_unused q __attribute__((unused)) = 1; bool ok = true; u32 v = (u32)-1;",
    );
    assert!(s.iter().any(|s| matches!(s.kind, StmtKind::For(..))));
}
