#!/usr/bin/env python3
"""The seed's own stack as a yardstick: Python, SQLAlchemy ORM queries and a ThreadPoolExecutor of
5 threads, analysing orders one by one the way the seed's `analisar_pedido_individual` did
(seed: app/carteira/routes/ruptura_api_async.py and app/estoque/services/estoque_simples.py):

  per order   1 query for its active lines;
  per line    get_projecao_completa(cod, dias=7) = ServicoEstoqueSimples.calcular_projecao:
                calcular_estoque_atual       (unified codes: 1 query, then the stock sum)
                calcular_saidas_previstas    (unified codes: 1 query, then outflows by day)
                calcular_entradas_previstas  (unified codes: 1 query, then production by day)
              then the day-by-day projection in Python and its D0..D7 minimum;
  short line  1 more query: every future production by date, to find the covering date.

Nothing is made slow on purpose: one pooled connection per thread, no sleeps. It is a bench tool,
never a test. Runs against Ruptura's PostgreSQL layout (the seed ran on PostgreSQL).

usage: seed_yardstick.py DATABASE_URL ORDERS_FILE TODAY RUNS
prints: "seed_yardstick median_s min_s max_s orders queries_per_order"
"""
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlalchemy import Boolean, Column, Date, Integer, Numeric, String, create_engine, func, or_
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker

Base = declarative_base()


class CarteiraPrincipal(Base):
    __tablename__ = "carteira_principal"
    id = Column(Integer, primary_key=True)
    num_pedido = Column(String)
    cod_produto = Column(String)
    nome_produto = Column(String)
    qtd_saldo_produto_pedido = Column(Numeric(15, 3))
    preco_produto_pedido = Column(Numeric(15, 2))
    ativo = Column(Boolean)


class MovimentacaoEstoque(Base):
    __tablename__ = "movimentacao_estoque"
    id = Column(Integer, primary_key=True)
    cod_produto = Column(String)
    qtd_movimentacao = Column(Numeric(15, 3))
    ativo = Column(Boolean)


class Separacao(Base):
    __tablename__ = "separacao"
    id = Column(Integer, primary_key=True)
    cod_produto = Column(String)
    qtd_saldo = Column(Numeric(15, 3))
    expedicao = Column(Date)
    sincronizado_nf = Column(Boolean)


class ProgramacaoProducao(Base):
    __tablename__ = "programacao_producao"
    id = Column(Integer, primary_key=True)
    cod_produto = Column(String)
    data_programacao = Column(Date)
    qtd_programada = Column(Numeric(15, 3))


class UnificacaoCodigos(Base):
    __tablename__ = "unificacao_codigos"
    id = Column(Integer, primary_key=True)
    codigo_origem = Column(String)
    codigo_destino = Column(String)
    ativo = Column(Boolean)


QUERIES = 0
QUERIES_LOCK = threading.Lock()


def counted(n=1):
    global QUERIES
    with QUERIES_LOCK:
        QUERIES += n


def codigos_relacionados(s, cod):
    counted()
    rows = s.query(UnificacaoCodigos.codigo_origem, UnificacaoCodigos.codigo_destino).filter(
        UnificacaoCodigos.ativo == True,  # noqa: E712 (SQLAlchemy expression)
        or_(UnificacaoCodigos.codigo_origem == cod, UnificacaoCodigos.codigo_destino == cod),
    ).all()
    codes = {cod}
    for a, b in rows:
        codes.update((a, b))
    return list(codes)


def calcular_projecao(s, cod, hoje, dias):
    fim = hoje + timedelta(days=dias)
    codes = codigos_relacionados(s, cod)
    counted()
    estoque = float(
        s.query(func.sum(MovimentacaoEstoque.qtd_movimentacao))
        .filter(MovimentacaoEstoque.cod_produto.in_(codes), MovimentacaoEstoque.ativo == True)  # noqa: E712
        .scalar()
        or 0
    )
    codes = codigos_relacionados(s, cod)
    counted()
    saidas = {
        d: float(q)
        for d, q in s.query(Separacao.expedicao, func.sum(Separacao.qtd_saldo))
        .filter(
            Separacao.cod_produto.in_(codes),
            Separacao.sincronizado_nf == False,  # noqa: E712
            Separacao.expedicao >= hoje,
            Separacao.expedicao <= fim,
        )
        .group_by(Separacao.expedicao)
        .all()
        if d and q
    }
    codes = codigos_relacionados(s, cod)
    counted()
    entradas = {
        d: float(q)
        for d, q in s.query(ProgramacaoProducao.data_programacao, func.sum(ProgramacaoProducao.qtd_programada))
        .filter(
            ProgramacaoProducao.cod_produto.in_(codes),
            ProgramacaoProducao.data_programacao >= hoje,
            ProgramacaoProducao.data_programacao <= fim,
        )
        .group_by(ProgramacaoProducao.data_programacao)
        .all()
        if d and q
    }
    projecao = []
    saldo = estoque
    for dia in range(dias + 1):
        d = hoje + timedelta(days=dia)
        saldo = saldo - saidas.get(d, 0) + entradas.get(d, 0)
        projecao.append({"dia": dia, "data": d.isoformat(), "saldo_final": saldo})
    return {"estoque_atual": estoque, "menor_estoque_d7": min(p["saldo_final"] for p in projecao[:8])}


def analisar_pedido(session_factory, num, hoje):
    s = session_factory()
    try:
        counted()
        itens = (
            s.query(
                CarteiraPrincipal.cod_produto,
                CarteiraPrincipal.nome_produto,
                CarteiraPrincipal.qtd_saldo_produto_pedido,
                CarteiraPrincipal.preco_produto_pedido,
            )
            .filter(CarteiraPrincipal.num_pedido == num, CarteiraPrincipal.ativo == True)  # noqa: E712
            .all()
        )
        if not itens:
            return None
        short = 0
        for cod, _nome, qtd, _preco in itens:
            proj = calcular_projecao(s, cod, hoje, 7)
            qtd = float(qtd)
            if qtd > proj["menor_estoque_d7"]:
                short += 1
                counted()
                futuras = (
                    s.query(ProgramacaoProducao.data_programacao, func.sum(ProgramacaoProducao.qtd_programada))
                    .filter(ProgramacaoProducao.cod_produto == cod, ProgramacaoProducao.data_programacao >= hoje)
                    .group_by(ProgramacaoProducao.data_programacao)
                    .order_by(ProgramacaoProducao.data_programacao)
                    .all()
                )
                acumulado = proj["menor_estoque_d7"]
                for _d, q in futuras:
                    acumulado += float(q)
                    if acumulado >= qtd:
                        break
        return short
    finally:
        session_factory.remove()


def main():
    url, orders_file, today, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    url = url.replace("postgres://", "postgresql+psycopg2://", 1)
    orders = [l.strip() for l in open(orders_file) if l.strip()]
    hoje = date.fromisoformat(today)
    engine = create_engine(url, pool_size=5, max_overflow=0)
    session_factory = scoped_session(sessionmaker(bind=engine))
    times = []
    for run in range(runs + 1):
        global QUERIES
        QUERIES = 0
        started = time.perf_counter()
        # The seed: batches of 20 orders, each analysed on a pool of 5 threads.
        with ThreadPoolExecutor(max_workers=5) as pool:
            for i in range(0, len(orders), 20):
                list(pool.map(lambda n: analisar_pedido(session_factory, n, hoje), orders[i : i + 20]))
        elapsed = time.perf_counter() - started
        if run > 0:  # the first run warms the pool and the caches
            times.append(elapsed)
    print(
        f"seed_yardstick {statistics.median(times):.3f} {min(times):.3f} {max(times):.3f} "
        f"{len(orders)} {QUERIES / len(orders):.1f}"
    )


if __name__ == "__main__":
    main()
