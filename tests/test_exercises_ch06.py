"""The chapter 6 checkers accept right answers and explain wrong ones."""

from __future__ import annotations

import asyncio
import inspect

from asyncbook.selfcheck import evaluate


async def fetch_members(team):
    await asyncio.sleep(0)
    return {"red": ["ann", "bob"], "blue": ["cy"]}[team]


async def fetch_level(name):
    await asyncio.sleep(0)
    return {"ann": 7, "bob": 3}[name]


# -- ch06-team-factory ---------------------------------------------------------------

class RightTeam:
    def __init__(self, name, members):
        self.name = name
        self.members = members

    @classmethod
    async def create(cls, name):
        return cls(name, await fetch_members(name))


def test_team_factory_right_answer_passes() -> None:
    result = evaluate("ch06-team-factory", RightTeam)
    assert result.passed, result.message


def test_team_factory_async_init_is_refused() -> None:
    class Team:
        async def __init__(self, name):
            self.members = await fetch_members(name)

    result = evaluate("ch06-team-factory", Team)
    assert not result.passed and "__init__ is still `async def`" in result.message


def test_team_factory_static_method_is_refused() -> None:
    class Team(RightTeam):
        @staticmethod
        async def create(name):
            return Team(name, await fetch_members(name))

    result = evaluate("ch06-team-factory", Team)
    assert not result.passed and "class method" in result.message


def test_team_factory_sync_create_is_refused() -> None:
    class Team(RightTeam):
        @classmethod
        def create(cls, name):
            return cls(name, [])

    result = evaluate("ch06-team-factory", Team)
    assert not result.passed and "coroutine function" in result.message


def test_team_factory_hard_coded_class_fails_for_subclasses() -> None:
    class Team(RightTeam):
        @classmethod
        async def create(cls, name):
            return Team(name, await fetch_members(name))

    result = evaluate("ch06-team-factory", Team)
    assert not result.passed and "cls(...) rather than Team(...)" in result.message


def test_team_factory_wrong_members() -> None:
    class Team(RightTeam):
        @classmethod
        async def create(cls, name):
            return cls(name, fetch_members(name))  # forgot await

    result = evaluate("ch06-team-factory", Team)
    assert not result.passed and "expected 'red' and ['ann', 'bob']" in result.message
    assert "was never awaited" in result.message


def test_team_factory_needs_the_class() -> None:
    result = evaluate("ch06-team-factory", RightTeam("x", []))
    assert not result.passed and "pass the class itself" in result.message


# -- ch06-await-profile --------------------------------------------------------------

class RightProfile:
    def __init__(self, name):
        self.name = name
        self.level = None

    async def load(self):
        self.level = await fetch_level(self.name)
        return self

    def __await__(self):
        return self.load().__await__()


def test_await_profile_right_answer_passes() -> None:
    result = evaluate("ch06-await-profile", RightProfile)
    assert result.passed, result.message


def test_await_profile_generator_answer_passes() -> None:
    class Profile(RightProfile):
        def __await__(self):
            yield from self.load().__await__()
            return self

    assert evaluate("ch06-await-profile", Profile).passed


def test_await_profile_async_dunder_is_refused() -> None:
    class Profile(RightProfile):
        async def __await__(self):
            return await self.load()

    result = evaluate("ch06-await-profile", Profile)
    assert not result.passed and "__await__() returned a coroutine" in result.message
    assert "self.load().__await__()" not in result.message  # a hint, not the answer


def test_await_profile_missing_dunder() -> None:
    class Profile:
        def __init__(self, name):
            pass

    result = evaluate("ch06-await-profile", Profile)
    assert not result.passed and "no __await__" in result.message


def test_await_profile_reused_coroutine_fails_the_second_await() -> None:
    class Profile(RightProfile):
        def __init__(self, name):
            super().__init__(name)
            self._coro = self.load()

        def __await__(self):
            return self._coro.__await__()

    result = evaluate("ch06-await-profile", Profile)
    assert not result.passed and "second time" in result.message


def test_await_profile_must_return_self() -> None:
    class Profile(RightProfile):
        async def load(self):
            self.level = await fetch_level(self.name)
            return self.level

    result = evaluate("ch06-await-profile", Profile)
    assert not result.passed and "give back the profile itself" in result.message


# -- ch06-account --------------------------------------------------------------------

class RightAccount:
    def __init__(self, name, fetch_balance):
        self.name = name
        self.fetch_balance = fetch_balance
        self._balance = None

    async def load(self):
        if self._balance is None:
            self._balance = await self.fetch_balance(self.name)
        return self

    @property
    def balance(self):
        if self._balance is None:
            raise RuntimeError("load first")
        return self._balance


def test_account_right_answer_passes() -> None:
    result = evaluate("ch06-account", RightAccount)
    assert result.passed, result.message


def test_account_async_property_is_refused() -> None:
    class Account:
        def __init__(self, name, fetch_balance):
            self.name, self.fetch_balance = name, fetch_balance

        @property
        async def balance(self):
            return await self.fetch_balance(self.name)

    result = evaluate("ch06-account", Account)
    assert not result.passed and "still an async property" in result.message
    assert "never awaited" not in result.message


def test_account_without_cache_fetches_twice() -> None:
    class Account(RightAccount):
        async def load(self):
            self._balance = await self.fetch_balance(self.name)
            return self

    result = evaluate("ch06-account", Account)
    assert not result.passed and "fetched 2 times" in result.message


def test_account_balance_none_before_load_is_refused() -> None:
    class Account(RightAccount):
        @property
        def balance(self):
            return self._balance

    result = evaluate("ch06-account", Account)
    assert not result.passed and "gave None" in result.message


def test_account_attribute_error_before_load_is_refused() -> None:
    class Account:
        def __init__(self, name, fetch_balance):
            self.name, self.fetch_balance = name, fetch_balance

        async def load(self):
            self.balance = await self.fetch_balance(self.name)
            return self

    result = evaluate("ch06-account", Account)
    assert not result.passed and "raised AttributeError" in result.message


def test_account_cache_on_the_class_is_caught() -> None:
    class Account(RightAccount):
        cache: dict = {}

        async def load(self):
            if "balance" not in Account.cache:
                Account.cache["balance"] = await self.fetch_balance(self.name)
            self._balance = Account.cache["balance"]
            return self

    result = evaluate("ch06-account", Account)
    assert not result.passed and "not on the class" in result.message


def test_account_load_must_return_self() -> None:
    class Account(RightAccount):
        async def load(self):
            await super().load()

    result = evaluate("ch06-account", Account)
    assert not result.passed and "return self" in result.message


# -- ch06-async-callable -------------------------------------------------------------

def right_is_async_callable(obj):
    if inspect.iscoroutinefunction(obj):
        return True
    if inspect.isclass(obj):
        return False
    return inspect.iscoroutinefunction(getattr(obj, "__call__", None))


def test_async_callable_right_answer_passes() -> None:
    result = evaluate("ch06-async-callable", right_is_async_callable)
    assert result.passed, result.message


def test_async_callable_plain_predicate_misses_instances() -> None:
    result = evaluate("ch06-async-callable", inspect.iscoroutinefunction)
    assert not result.passed and "async def __call__" in result.message and "obj.__call__" in result.message


def test_async_callable_must_skip_classes() -> None:
    def answer(obj):
        return inspect.iscoroutinefunction(obj) or inspect.iscoroutinefunction(getattr(obj, "__call__", None))

    result = evaluate("ch06-async-callable", answer)
    assert not result.passed and "calling a class creates an instance" in result.message


def test_async_callable_only_looking_at_dunder_call_misses_functions() -> None:
    def answer(obj):
        return inspect.iscoroutinefunction(getattr(obj, "__call__", None))

    result = evaluate("ch06-async-callable", answer)
    assert not result.passed and "for an async def function you returned False" in result.message


def test_async_callable_must_return_bools() -> None:
    result = evaluate("ch06-async-callable", lambda obj: None)
    assert not result.passed and "return True or False" in result.message

