import { shipmentDispatchedV1 } from '@shop/contracts';
import { dispatchShipment, scheduleShipment } from './shipment';

describe('dispatchShipment', () => {
  // Capitals can be longer than the carrier the request allowed (20): ß → SS, ﬃ → FFI.
  it.each(['DHL', 'ß'.repeat(20), 'ﬃ'.repeat(20), 'ßa' + '𐐨'.repeat(9)])(
    'makes a tracking number the contract accepts for carrier %s',
    (carrier) => {
      const { shipment, events } = dispatchShipment(
        scheduleShipment('0f8fad5b-d9cb-469f-a165-70867728950e', 1, {}),
        carrier,
      );
      expect(shipment.trackingNumber).toMatch(/^.+-[0-9A-F]{16}$/);
      expect(shipmentDispatchedV1.schema.shape.trackingNumber.safeParse(shipment.trackingNumber).error).toBeUndefined();
      expect(events).toEqual([{ kind: 'ShipmentDispatched', shipment }]);
    },
  );
});
