using Strand.Binary;

namespace Strand.Compilation;

/// <summary>
/// Redundant-check facts across structured control flow: an address local checked before a <c>block</c>, <c>loop</c> or
/// <c>if</c> stays checked inside it and after it when the construct never writes that local.
/// </summary>
/// <remarks>
/// A fact (<see cref="_checkedAddressLocals"/>) says that the current value of a local, used as an address, plus an end
/// was inside memory 0 when a check ran; memory never shrinks, so it stays true until the local is written. Facts that
/// hold at the entry of a construct therefore hold on every path through it for the locals the construct never writes:
/// <list type="bullet">
/// <item>block and if bodies start with the facts of their entry; the else arm with the facts of the if's entry;</item>
/// <item>a loop body starts with the entry facts of the locals the loop never writes (its header is also reached from the
/// back edges, where only those locals are certain to hold their entry values);</item>
/// <item>after the end of any of them, whether by falling through or by a branch to its label, the entry facts of the
/// locals the construct never writes hold (facts found inside it are dropped: they may not hold on every path).</item>
/// </list>
/// Exception handling constructs (try, try_table, catch, delegate) keep dropping every fact (see
/// FunctionCompiler.Exceptions.cs). Writes are found by a prescan of the function's <c>local.set</c>/<c>local.tee</c>
/// positions and of each construct's matching end, done the first time a construct starts with facts.
/// </remarks>
internal sealed partial class FunctionCompiler
{
    /// <summary>For each position of an opening instruction (block, loop, if, try, try_table), the position of its end.</summary>
    private int[]? _matchingEnd;
    /// <summary>Per local, the ascending positions of its local.set/local.tee.</summary>
    private Dictionary<int, List<int>>? _localWrites;

    /// <summary>
    /// At the opening instruction of <paramref name="c"/> (a block, loop or if at <see cref="_position"/>): records the
    /// facts that hold at its entry and keeps those valid inside (for a loop, those of locals it never writes).
    /// </summary>
    private void EnterCheckScope(Control c)
    {
        if (_checkedAddressLocals.Count == 0) return;
        PrescanCheckScopes();
        c.ScopeStart = _position;
        c.EntryFacts = new Dictionary<int, ulong>(_checkedAddressLocals);
        if (c.Kind == ControlKind.Loop) KeepUnwrittenFacts(_position, _matchingEnd![_position]);
    }

    /// <summary>At the else of <paramref name="c"/>: the then arm's end, if reachable, flows to the end; the else arm starts with the if's entry facts.</summary>
    private void EnterElseScope(Control c)
    {
        if (!_unreachable) MeetExitFacts(c, _checkedAddressLocals);
        RestoreEntryFacts(c);
    }

    private void RestoreEntryFacts(Control c)
    {
        _checkedAddressLocals.Clear();
        if (c.EntryFacts is null) return;
        foreach (var (local, end) in c.EntryFacts) _checkedAddressLocals[local] = end;
    }

    /// <summary>
    /// At the end of <paramref name="c"/>: after a loop, the facts of its body's end (the only way there); after a block or
    /// if, the facts common to every path to its end (the fall-through, each branch to its label, an if's missing else
    /// arm), or, when an exception edge reaches the label (a try_table's catch clause), the entry facts of the locals
    /// the construct never writes.
    /// </summary>
    private void LeaveCheckScope(Control c)
    {
        if (c.Counter >= 0) _counterRanges.Remove(c.Counter);
        if (c.Kind == ControlKind.Loop && !_unreachable) return;
        if (c.Kind is ControlKind.Block or ControlKind.If && c.Region is null && !c.ExitFromHandler)
        {
            if (!_unreachable) MeetExitFacts(c, _checkedAddressLocals);
            if (c.Kind == ControlKind.If && !c.HasElse) MeetExitFacts(c, c.EntryFacts);
            _checkedAddressLocals.Clear();
            if (c.ExitFacts is not null)
                foreach (var (local, end) in c.ExitFacts) _checkedAddressLocals[local] = end;
            return;
        }
        RestoreEntryFacts(c);
        if (c.EntryFacts is not null) KeepUnwrittenFacts(c.ScopeStart, _matchingEnd![c.ScopeStart]);
    }

    /// <summary>
    /// Before instruction <paramref name="ins"/> (reachable): a branch carries the current facts to its targets' ends; a
    /// try_table's catch clauses reach theirs from anywhere in its body.
    /// </summary>
    private void NoteBranchFacts(in Instruction ins)
    {
        switch (ins.Opcode)
        {
            case Opcode.Br or Opcode.BrIf or Opcode.BrOnNull or Opcode.BrOnNonNull or Opcode.BrOnCast or Opcode.BrOnCastFail:
                MeetExitFacts(Target(ins.Index), _checkedAddressLocals);
                break;
            case Opcode.BrTable:
                MeetExitFacts(Target(ins.Index), _checkedAddressLocals);
                foreach (uint label in ins.Labels!) MeetExitFacts(Target(label), _checkedAddressLocals);
                break;
            case Opcode.TryTable:
                foreach (var clause in ins.Catches ?? []) Target(clause.Label).ExitFromHandler = true;
                break;
        }
    }

    /// <summary>Intersects the facts reaching the end of <paramref name="c"/> with <paramref name="facts"/> (null: none).</summary>
    private static void MeetExitFacts(Control c, Dictionary<int, ulong>? facts)
    {
        if (c.Kind is not (ControlKind.Block or ControlKind.If)) return;
        if (!c.ExitSeen)
        {
            c.ExitSeen = true;
            c.ExitFacts = facts is { Count: > 0 } ? new Dictionary<int, ulong>(facts) : null;
            return;
        }
        if (c.ExitFacts is null) return;
        var met = new Dictionary<int, ulong>();
        foreach (var (local, end) in c.ExitFacts)
            if (facts is not null && facts.TryGetValue(local, out ulong other)) met[local] = Math.Min(end, other);
        c.ExitFacts = met.Count > 0 ? met : null;
    }

    /// <summary>Drops the facts of the locals written between positions <paramref name="start"/> and <paramref name="end"/>.</summary>
    private void KeepUnwrittenFacts(int start, int end)
    {
        List<int>? written = null;
        foreach (var local in _checkedAddressLocals.Keys)
        {
            if (!_localWrites!.TryGetValue(local, out var positions)) continue;
            int i = positions.BinarySearch(start);
            if (i < 0) i = ~i;
            if (i < positions.Count && positions[i] < end) (written ??= new()).Add(local);
        }
        if (written is not null)
            foreach (var local in written) _checkedAddressLocals.Remove(local);
    }

    private void PrescanCheckScopes()
    {
        if (_matchingEnd is not null) return;
        _matchingEnd = new int[_code.Count];
        _localWrites = new Dictionary<int, List<int>>();
        var open = new Stack<int>();
        for (int i = 0; i < _code.Count; i++)
        {
            var ins = _code[i];
            switch (ins.Opcode)
            {
                case Opcode.Block or Opcode.Loop or Opcode.If or Opcode.Try or Opcode.TryTable:
                    open.Push(i);
                    break;
                case Opcode.End or Opcode.Delegate:
                    // The function's own end closes nothing that was pushed.
                    if (open.Count > 0) _matchingEnd[open.Pop()] = i;
                    break;
                case Opcode.LocalSet or Opcode.LocalTee:
                    if (!_localWrites.TryGetValue((int)ins.Index, out var positions))
                        _localWrites[(int)ins.Index] = positions = new List<int>();
                    positions.Add(i);
                    break;
            }
        }
        // Constructs left open (not in validated code): their end is the function's end.
        while (open.Count > 0) _matchingEnd[open.Pop()] = _code.Count;
    }
}
