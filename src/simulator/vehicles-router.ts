import { Router } from 'express';
import { dealerOf } from './gateway-context';
import { sendApiError } from './gateway-errors';

/** Merchandisable Vehicles v1 (mounted at `/sales/inventory/v1/merchandisable-vehicles`). */
export function createVehiclesRouter(): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    const { vehicles } = dealerOf(res);
    res.json({ items: structuredClone(vehicles), totalItems: vehicles.length });
  });

  router.get('/:merchandisableVehicleId', (req, res) => {
    const id = req.params.merchandisableVehicleId;
    const vehicle = dealerOf(res).vehicles.find((item) => item.merchandisableVehicleId === id);
    if (!vehicle) return sendApiError(res, 404, `Merchandisable vehicle ${id} was not found.`);
    res.json(vehicle);
  });

  return router;
}
