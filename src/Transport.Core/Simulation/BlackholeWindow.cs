using Transport.Core.Time;

namespace Transport.Core.Simulation;

/// <summary>
/// A period during which a link drops every datagram sent on it: the half-open window [<see cref="Start"/>, <see cref="End"/>).
/// A datagram belongs to the window when the instant it is sent falls inside it; datagrams already in flight when the
/// window opens are still delivered.
/// </summary>
/// <param name="Start">The first instant at which datagrams are dropped.</param>
/// <param name="End">The first instant after the window, at which datagrams flow again.</param>
public readonly record struct BlackholeWindow(Instant Start, Instant End)
{
    /// <summary>Whether <paramref name="instant"/> falls inside [<see cref="Start"/>, <see cref="End"/>).</summary>
    public bool Contains(Instant instant) => instant >= Start && instant < End;
}
