namespace Transport.Core.Simulation;

/// <summary>Receives the datagrams <see cref="NetworkSimulator.DeliverDue"/> delivers.</summary>
public interface IDatagramSink
{
    /// <summary>
    /// Called once per delivered datagram, in delivery order. The payload is valid only during the call. The sink may
    /// call <see cref="NetworkSimulator.Send"/> (for example to reply) with the same instant.
    /// </summary>
    void OnDatagram(in SimulatedDatagram datagram);
}
