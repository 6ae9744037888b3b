using System.Net;
using Transport.Core.Time;

namespace Transport.Core.Simulation;

/// <summary>
/// A NAT rebinding on one direction of a link: from <see cref="At"/> on, datagrams the sender sends on that link reach
/// the receiver from <see cref="NewAddress"/> instead of the previous address (the sender's own address before the first
/// rebinding). Replies the receiver sends to an address that is no longer the current mapping are dropped when they
/// reach the NAT (counted in <see cref="LinkStatistics.DroppedStaleAddress"/>), as in the interop "rebind" scenarios.
/// </summary>
/// <param name="At">The instant the NAT starts using the new mapping (compared with the instant a datagram is sent).</param>
/// <param name="NewAddress">The sender's address and port as the receiver sees them from <see cref="At"/> on.</param>
public readonly record struct AddressRebind(Instant At, IPEndPoint NewAddress);
