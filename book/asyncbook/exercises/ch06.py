"""Checkers for chapter 6, *Async classes*."""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any

from ..selfcheck import Wrong, exercise, run_in_fresh_loop


def _need_class(answer: object, exercise_id: str, name: str) -> type:
    if not inspect.isclass(answer):
        raise Wrong(f"pass the class itself: check({exercise_id!r}, {name}), not an instance or a call")
    return answer


@exercise("ch06-team-factory")
def check_team_factory(team_cls: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 6 unless stated):
    # - an `async def __init__` fails with `__init__() should return None, not 'coroutine'`:
    #   "`__init__` cannot `await`";
    # - `@classmethod` above `async def`, and calling it gives a coroutine: "Async class methods
    #   and static methods";
    # - the factory `create(cls, ...)` that awaits, then returns `cls(...)` so subclasses get
    #   their own class: "The async factory";
    # - `await` gives a coroutine's result: chapter 1, "Running the bodies".
    team_cls = _need_class(team_cls, "ch06-team-factory", "Team")
    if inspect.iscoroutinefunction(team_cls.__init__):
        raise Wrong("__init__ is still `async def`, so Team(...) raises TypeError: __init__() should return "
                    "None, not 'coroutine'. Make it a plain `def __init__(self, name, members)` and do the "
                    "awaiting in `@classmethod async def create(cls, name)`.")
    create = getattr(team_cls, "create", None)
    if create is None:
        raise Wrong("Team has no `create`: add `@classmethod` and `async def create(cls, name)` below it.")
    if not inspect.iscoroutinefunction(create):
        raise Wrong("Team.create must be a coroutine function: write `async def create(cls, name)`.")
    if not (inspect.ismethod(create) and create.__self__ is team_cls):
        raise Wrong("make `create` a class method (put `@classmethod` above `async def create(cls, name)`), "
                    "so it receives the class it is called on as `cls`.")
    try:
        team_cls("x", ["y"])
    except TypeError as error:
        raise Wrong(f"Team('x', ['y']) should build a team from ready values, but raised TypeError: {error}. "
                    "Give __init__ the parameters (self, name, members).") from None
    team = run_in_fresh_loop(lambda: team_cls.create("red"))
    if type(team) is not team_cls:
        raise Wrong(f"await Team.create('red') gave {type(team).__name__} {team!r}; expected a Team: "
                    "end create with `return cls(name, members)`.")
    if getattr(team, "name", None) != "red" or getattr(team, "members", None) != ["ann", "bob"]:
        raise Wrong(f"await Team.create('red') gave a team with name={getattr(team, 'name', None)!r} and "
                    f"members={getattr(team, 'members', None)!r}; expected 'red' and ['ann', 'bob'] "
                    "(from `await fetch_members(name)`).")

    class BigTeam(team_cls):  # type: ignore[misc, valid-type]
        pass

    big = run_in_fresh_loop(lambda: BigTeam.create("blue"))
    if type(big) is not BigTeam:
        raise Wrong(f"for a subclass, BigTeam.create('blue') gave a {type(big).__name__}, not a BigTeam: "
                    "build the instance with cls(...) rather than Team(...).")
    return "await Team.create('red') builds a complete team, and subclasses get their own class."


@exercise("ch06-await-profile")
def check_await_profile(profile_cls: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 6 unless stated):
    # - `__await__` is a plain `def` that returns an iterator; `async def __await__` fails with
    #   `__await__() returned a coroutine`: "Awaitable instances: `__await__`", "Pitfalls" >
    #   "`async def __await__`" (and chapter 2, "`__await__` that does not return an iterator");
    # - `return self.load().__await__()` hands over to a coroutine method, and makes the object
    #   awaitable more than once: "Awaitable instances: `__await__`" (the second Countdown);
    # - load() returning self: "No async properties".
    profile_cls = _need_class(profile_cls, "ch06-await-profile", "Profile")
    dunder = getattr(profile_cls, "__await__", None)
    if dunder is None:
        raise Wrong("Profile has no __await__ method, so `await Profile('ann')` raises TypeError.")
    if inspect.iscoroutinefunction(dunder):
        raise Wrong("__await__ is `async def`, so it returns a coroutine and `await Profile('ann')` raises "
                    "TypeError: __await__() returned a coroutine. Make it a plain `def` that returns an "
                    "iterator, the way Countdown.__await__ hands over to its coroutine method run().")
    profile = profile_cls("ann")
    if not inspect.isawaitable(profile):
        raise Wrong("inspect.isawaitable(Profile('ann')) is False: define `def __await__(self)` in the class.")

    async def await_twice() -> tuple[Any, Any]:
        first = await profile
        try:
            second = await profile
        except RuntimeError as error:
            raise Wrong(f"awaiting the same profile a second time raised RuntimeError: {error}. Create a "
                        "fresh coroutine inside __await__ on every call (self.load().__await__()).") from None
        return first, second

    first, second = run_in_fresh_loop(await_twice)
    if first is not profile:
        raise Wrong(f"`await profile` gave {first!r}; it should give back the profile itself "
                    "(load() ends with `return self`).")
    if getattr(profile, "level", None) != 7:
        raise Wrong(f"after `await Profile('ann')` the level is {getattr(profile, 'level', None)!r}, expected 7.")
    if second is not profile:
        raise Wrong(f"the second `await profile` gave {second!r} instead of the profile.")
    return "`await Profile('ann')` loads the level (7) and gives back the profile, every time."


@exercise("ch06-account")
def check_account(account_cls: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 6):
    # - an async property gives a coroutine on every read: "No async properties";
    # - the replacement: `async def load(self)` that fetches once (`if self._level is None`)
    #   and returns self, plus a plain property that raises RuntimeError before loading:
    #   "No async properties" (the second Profile).
    account_cls = _need_class(account_cls, "ch06-account", "Account")
    prop = inspect.getattr_static(account_cls, "balance", None)
    if isinstance(prop, property) and inspect.iscoroutinefunction(prop.fget):
        raise Wrong("balance is still an async property: reading account.balance gives a coroutine, not a "
                    "number. Move the fetching into `async def load(self)` and make balance a plain property.")
    if not inspect.iscoroutinefunction(getattr(account_cls, "load", None)):
        raise Wrong("Account needs a coroutine method `async def load(self)` that fetches the balance.")

    calls: list[str] = []

    async def fetch_balance(name: str) -> int:
        calls.append(name)
        await asyncio.sleep(0)
        return {"ann": 100, "bob": 50}[name]

    account = account_cls("ann", fetch_balance)
    try:
        early = account.balance
    except RuntimeError:
        pass
    except Exception as error:
        raise Wrong(f"before load(), reading account.balance raised {type(error).__name__}: {error}; "
                    "raise RuntimeError instead, saying to `await account.load()` first.") from None
    else:
        raise Wrong(f"before load(), account.balance gave {early!r}: raise RuntimeError saying to "
                    "`await account.load()` first, so nobody mistakes it for a real balance.")
    if calls:
        raise Wrong("creating the account or reading balance already fetched: only load() should fetch.")

    async def load_twice() -> tuple[Any, Any]:
        return await account.load(), await account.load()

    first, second = run_in_fresh_loop(load_twice)
    if first is not account or second is not account:
        raise Wrong(f"await account.load() gave {first!r}; end load() with `return self`.")
    if len(calls) != 1:
        raise Wrong(f"two calls of load() fetched {len(calls)} times; fetch only when the balance is not "
                    "loaded yet, and reuse it after that.")
    balance = account.balance
    if inspect.isawaitable(balance) or balance != 100:
        raise Wrong(f"after load(), account.balance gave {balance!r}, expected 100.")
    other = run_in_fresh_loop(lambda: account_cls("bob", fetch_balance).load())
    if other.balance != 50:
        raise Wrong(f"a second account, for 'bob', has balance {other.balance!r}, expected 50: keep the loaded "
                    "value on the instance (self._balance), not on the class.")
    return "load() fetches once and returns the account; balance is a plain number after that."


async def _async_function() -> int:
    return 1


def _plain_function() -> int:
    return 1


async def _add(a: int, b: int) -> int:
    return a + b


class _AsyncCall:
    async def __call__(self) -> int:
        return 1


class _PlainCall:
    def __call__(self) -> int:
        return 1


class _Methods:
    async def async_method(self) -> int:
        return 1

    def method(self) -> int:
        return 1


_HINT_INSTANCE = ("inspect.iscoroutinefunction(obj) is False for instances on 3.11 to 3.13; "
                  "ask about the bound method obj.__call__ instead.")
_HINT_CLASS = "calling a class creates an instance, not a coroutine: answer False for classes (inspect.isclass)."


@exercise("ch06-async-callable")
def check_async_callable(is_async_callable: Any) -> str:
    # Where the facts this exercise needs are taught (chapter 6 unless stated):
    # - iscoroutinefunction works on functions, bound methods (chapter 1, "Telling the kinds
    #   apart") and functools.partial: "What `inspect.iscoroutinefunction` says";
    # - it says False for an instance with `async def __call__` (on 3.11 to 3.13), and the bound
    #   method obj.__call__ carries the flag: "What `inspect.iscoroutinefunction` says";
    # - a class's own `__call__` may be async, but calling the class creates an instance;
    #   inspect.isclass spots a class: "What `inspect.iscoroutinefunction` says" (the
    #   `GameClock.__call__` column);
    # - getattr with a default for objects that have no __call__ (such as 3): plain Python.
    if not callable(is_async_callable):
        raise Wrong("pass the function itself: check('ch06-async-callable', is_async_callable)")
    cases: list[tuple[str, object, bool, str]] = [
        ("an async def function", _async_function, True, ""),
        ("a plain def function", _plain_function, False, ""),
        ("a bound async method", _Methods().async_method, True, ""),
        ("a bound plain method", _Methods().method, False, ""),
        ("an instance whose class has `async def __call__`", _AsyncCall(), True, _HINT_INSTANCE),
        ("an instance whose class has a plain __call__", _PlainCall(), False, ""),
        ("a class that has `async def __call__`", _AsyncCall, False, _HINT_CLASS),
        ("functools.partial(an async function, 1)", functools.partial(_add, 1), True, ""),
        ("the built-in len", len, False, ""),
        ("a lambda", lambda: None, False, ""),
        ("the number 3, which is not callable", 3, False, ""),
    ]
    for what, obj, expected, hint in cases:
        got = is_async_callable(obj)
        if not isinstance(got, bool):
            raise Wrong(f"for {what} you returned {got!r}: return True or False.")
        if got is not expected:
            raise Wrong(f"for {what} you returned {got}, expected {expected}. {hint}".rstrip())
    return f"all {len(cases)} cases right."
