import { Router } from 'express';
import {
  appointmentResource,
  appointmentUrl,
  listLinks,
  nextAppointmentId,
  pageOfAppointments,
  parseListQuery,
  parseNewAppointment,
} from './appointments';
import { dealerOf } from './gateway-context';
import { sendApiError } from './gateway-errors';

/** Service Appointments v3 for the subscription's dealer (mounted at `/service/v3/appointments`). */
export function createAppointmentsRouter(publicUrl: () => string): Router {
  const router = Router();

  router.get('/', (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>);
    if (!query.ok) return sendApiError(res, 400, query.message);
    const page = pageOfAppointments(dealerOf(res).appointments, query.value);
    res.json({
      items: page.items.map((record) => appointmentResource(record, publicUrl())),
      totalItems: page.totalItems,
      totalPages: page.totalPages,
      links: listLinks(query.value, page.totalPages, publicUrl()),
    });
  });

  router.post('/', (req, res) => {
    const parsed = parseNewAppointment(req.body);
    if (!parsed.ok) return sendApiError(res, 400, parsed.message);
    const appointments = dealerOf(res).appointments;
    const record = { appointmentId: nextAppointmentId(appointments), ...parsed.value };
    appointments.push(record);
    res
      .status(201)
      .location(appointmentUrl(record.appointmentId, publicUrl()))
      .json(appointmentResource(record, publicUrl()));
  });

  router.get('/:appointmentId', (req, res) => {
    const record = dealerOf(res).appointments.find((item) => item.appointmentId === req.params.appointmentId);
    if (!record) return sendApiError(res, 404, `Appointment ${req.params.appointmentId} was not found.`);
    res.json(appointmentResource(record, publicUrl()));
  });

  router.delete('/:appointmentId', (req, res) => {
    const appointments = dealerOf(res).appointments;
    const index = appointments.findIndex((item) => item.appointmentId === req.params.appointmentId);
    if (index < 0) return sendApiError(res, 404, `Appointment ${req.params.appointmentId} was not found.`);
    appointments.splice(index, 1);
    res.status(204).end();
  });

  return router;
}
