/**
 * The simulator's sample dealers: one per subscription, each with its own appointments, vehicles and
 * API access, so that switching Subscription-Id visibly switches dealer. Every phone number is a 555-01xx
 * number (reserved for fiction), every e-mail domain is example.com, every VIN has a valid check digit.
 *
 * `createSampleDealers()` returns a fresh deep copy, so one simulator's writes (a created or deleted
 * appointment) never leak into another's.
 */

/** The APIs the simulator serves behind a Subscription-Id. */
export type SimulatedApiId = 'service-appointments-v3' | 'merchandisable-vehicles-v1' | 'crm-leads-v1';

export const ALL_SIMULATED_APIS: readonly SimulatedApiId[] = [
  'service-appointments-v3',
  'merchandisable-vehicles-v1',
  'crm-leads-v1',
];

export interface Href {
  href: string;
}

/** An appointment as stored. Hrefs starting with `/` are made absolute with the public URL when served. */
export interface AppointmentRecord {
  appointmentId: string;
  dateTime: string;
  requestedServices: { description: string }[];
  vehicleHref?: string;
  vehicleMileage?: { value: number; units: 'MILES' | 'KILOMETERS' };
  customerHref?: string;
  contact?: { label: string; uri: string };
  advisorHref?: string;
  concerns?: string;
  remarks?: string;
}

export interface MerchandisableVehicle {
  merchandisableVehicleId: string;
  summary: {
    type: 'NEW' | 'USED';
    primaryImageLink: Href;
    year: number;
    make: string;
    model: string;
    vin: string;
  };
  description: { description: string; salesDescription: string };
  prices: { priceType: string; netPrice: number }[];
}

export interface DealerRecord {
  subscriptionId: string;
  orgId: string;
  entityId: string;
  orgName: string;
  status: 'active' | 'inactive';
  activationDate: string;
  /** Empty while the subscription is active, as in Fortellis' answers. */
  deactivationDate: string;
  environment: 'production' | 'test';
  dealerCodes: string[];
  address: string;
  countryCode: string;
  phoneNumber: string;
  /** The APIs this subscription includes; others answer 403 UNAUTHORIZED-API-ACCESS. */
  apis: SimulatedApiId[];
  /** Whether the dealer's CRM connection is set up (the CRM ping answers "Connection Not OK" if not). */
  crmConfigured: boolean;
  appointments: AppointmentRecord[];
  vehicles: MerchandisableVehicle[];
}

/** Subscription ids of the sample dealers. `test` is the id Fortellis itself uses for sample data. */
export const SIMULATOR_SUBSCRIPTIONS = {
  /** Active, every API, CRM configured, 12 appointments (two pages of 10), 5 vehicles. */
  test: 'test',
  /** Active, every API, CRM *not* configured (ping answers 400 Connection Not OK). */
  sunrise: '5b7c2e1a-9d3f-4c6b-8a2e-1f0d9c8b7a65',
  /** Inactive since 2025-09-30: every API call answers 403 API-SUBSCRIPTION-INACTIVE. */
  lakeside: 'c41e8f3b-2a6d-4e9f-b7c5-3d8a1e6f0b92',
  /** Active, appointments and CRM only: merchandisable vehicles answer 403 UNAUTHORIZED-API-ACCESS. */
  harbor: '9e2d4b6f-7c1a-4f3e-a5d8-6b0c2e4f8a17',
} as const;

/** The app the simulated subscriptions belong to, as the subscription context API describes it. */
export const SIMULATED_APP_INFO = {
  id: '2f6a9c14-3b7e-4d52-9e81-7c0f5a3d2b96',
  name: 'Fortellis BFF (simulated app)',
  developer: 'Example Software Co.',
  contactEmail: 'developer@example.com',
} as const;

function appointment(
  appointmentId: string,
  dateTime: string,
  services: string[],
  vehicle: { vin: string; miles: number },
  customer: { id: string; phone: string },
  advisorId: string,
  concerns: string,
  remarks: string,
): AppointmentRecord {
  return {
    appointmentId,
    dateTime,
    requestedServices: services.map((description) => ({ description })),
    vehicleHref: `/service/v3/vehicles/${vehicle.vin}`,
    vehicleMileage: { value: vehicle.miles, units: 'MILES' },
    customerHref: `/service/v3/customers/${customer.id}`,
    contact: { label: 'mobile', uri: `tel:${customer.phone}` },
    advisorHref: `/service/v3/advisors/${advisorId}`,
    concerns,
    remarks,
  };
}

function vehicle(
  merchandisableVehicleId: string,
  type: 'NEW' | 'USED',
  year: number,
  make: string,
  model: string,
  vin: string,
  description: string,
  salesDescription: string,
  prices: [string, number][],
): MerchandisableVehicle {
  return {
    merchandisableVehicleId,
    summary: {
      type,
      primaryImageLink: { href: `https://images.example.com/inventory/${vin}/primary.jpg` },
      year,
      make,
      model,
      vin,
    },
    description: { description, salesDescription },
    prices: prices.map(([priceType, netPrice]) => ({ priceType, netPrice })),
  };
}

const SAMPLE_DEALERS: readonly DealerRecord[] = [
  {
    subscriptionId: SIMULATOR_SUBSCRIPTIONS.test,
    orgId: 'e3b1f6a2-7c4d-4d8e-9f21-0a5b6c7d8e91',
    entityId: 'ENT-TEST-0001',
    orgName: 'Test Dealer (Fortellis sample data)',
    status: 'active',
    activationDate: '2023-03-01',
    deactivationDate: '',
    environment: 'test',
    dealerCodes: ['TESTDLR01'],
    address: '1200 W Randolph St, Chicago, IL 60607, USA',
    countryCode: 'US',
    phoneNumber: '+1-312-555-0100',
    apis: [...ALL_SIMULATED_APIS],
    crmConfigured: true,
    appointments: [
      appointment('100201', '2026-01-05T08:00:00-06:00', ['Oil and filter change', 'Tire rotation'],
        { vin: '4T1C11AK7RU123456', miles: 18420 }, { id: 'C-20011', phone: '+1-312-555-0111' },
        'ADV-07', 'Oil life monitor at 5%.', 'Customer will wait in the lounge.'),
      appointment('100202', '2026-01-05T09:30:00-06:00', ['Replace Air Filter'],
        { vin: '1HGCY1F37RA012345', miles: 75201 }, { id: 'C-20012', phone: '+1-312-555-0112' },
        'ADV-03', 'Reduced airflow from the vents.', 'Offered a cabin filter too.'),
      appointment('100203', '2026-01-06T07:45:00-06:00', ['Brake inspection', 'Replace front brake pads'],
        { vin: '1FTFW1E87PFA23456', miles: 41236 }, { id: 'C-20013', phone: '+1-312-555-0113' },
        'ADV-07', 'Squealing when braking at low speed.', 'Loaner requested.'),
      appointment('100204', '2026-01-06T13:15:00-06:00', ['State emissions test'],
        { vin: '1GCUDDED5RZ134567', miles: 22980 }, { id: 'C-20014', phone: '+1-312-555-0114' },
        'ADV-05', 'None.', 'Drop-off before noon.'),
      appointment('100205', '2026-01-07T10:00:00-06:00', ['Battery test', 'Replace 12V battery'],
        { vin: '4S4BTGND0R3145678', miles: 56744 }, { id: 'C-20015', phone: '+1-312-555-0115' },
        'ADV-03', 'Slow cranking on cold mornings.', 'Customer approved replacement up to $250.'),
      appointment('100206', '2026-01-08T08:30:00-06:00', ['Wheel alignment'],
        { vin: '5YJ3E1EA1PF156789', miles: 30512 }, { id: 'C-20016', phone: '+1-312-555-0116' },
        'ADV-05', 'Vehicle pulls to the right.', 'Hit a pothole last week.'),
      appointment('100207', '2026-01-09T11:00:00-06:00', ['30,000-mile scheduled maintenance'],
        { vin: 'JTMW1RFV8RD167890', miles: 29876 }, { id: 'C-20017', phone: '+1-312-555-0117' },
        'ADV-07', 'None.', 'Shuttle to downtown requested.'),
      appointment('100208', '2026-01-12T09:00:00-06:00', ['Diagnose check-engine light'],
        { vin: '1C4RJFBG8RC178901', miles: 64310 }, { id: 'C-20018', phone: '+1-312-555-0118' },
        'ADV-03', 'Check-engine light on since Friday.', 'Diagnostic fee explained.'),
      appointment('100209', '2026-01-13T14:30:00-06:00', ['Replace wiper blades', 'Top off fluids'],
        { vin: 'KM8J3CAL7RU189012', miles: 12045 }, { id: 'C-20019', phone: '+1-312-555-0119' },
        'ADV-05', 'Streaking windshield.', 'Quick service lane.'),
      appointment('100210', '2026-01-14T07:30:00-06:00', ['Transmission fluid service'],
        { vin: '3GNKBCR4XRS190123', miles: 60122 }, { id: 'C-20020', phone: '+1-312-555-0120' },
        'ADV-07', 'Harsh shift from 2nd to 3rd.', 'Check for software update.'),
      appointment('100211', '2026-01-15T10:45:00-06:00', ['Recall 24V-123: fuel pump'],
        { vin: '1N4BL4CV3RN201234', miles: 8211 }, { id: 'C-20021', phone: '+1-312-555-0121' },
        'ADV-03', 'Recall notice received by mail.', 'Parts confirmed in stock.'),
      appointment('100212', '2026-01-16T15:00:00-06:00', ['Winter tire changeover'],
        { vin: 'WBA53FJ02RCR12345', miles: 33590 }, { id: 'C-20022', phone: '+1-312-555-0122' },
        'ADV-05', 'None.', 'Tires stored on site, rack B-14.'),
    ],
    vehicles: [
      vehicle('MV-TEST-0001', 'NEW', 2026, 'Toyota', 'Camry', '4T1C11AK7RU123456',
        '2026 Toyota Camry LE Hybrid, Wind Chill Pearl, 2.5L 4-cylinder hybrid, FWD.',
        'Brand-new Camry hybrid with Toyota Safety Sense 3.0 and 51 mpg combined.',
        [['MSRP', 29495], ['INTERNET_PRICE', 28650]]),
      vehicle('MV-TEST-0002', 'NEW', 2026, 'Ford', 'F-150', '1FTFW1E87PFA23456',
        '2026 Ford F-150 XLT SuperCrew, Agate Black, 2.7L EcoBoost V6, 4x4.',
        'Ready for work and weekends: towing package, BoxLink and Pro Power Onboard.',
        [['MSRP', 54870], ['INTERNET_PRICE', 51995]]),
      vehicle('MV-TEST-0003', 'USED', 2023, 'Honda', 'Accord', '1HGCY1F37RA012345',
        '2023 Honda Accord EX, Platinum White Pearl, 1.5L turbo, 31,204 miles.',
        'One owner, clean history report, new tires at 30,000 miles.',
        [['INTERNET_PRICE', 25990]]),
      vehicle('MV-TEST-0004', 'USED', 2022, 'Subaru', 'Outback', '4S4BTGND0R3145678',
        '2022 Subaru Outback Limited, Autumn Green Metallic, 2.5L boxer, AWD, 41,880 miles.',
        'Certified pre-owned with heated leather seats and EyeSight driver assist.',
        [['INTERNET_PRICE', 27450]]),
      vehicle('MV-TEST-0005', 'USED', 2021, 'Chevrolet', 'Silverado 1500', '1GCUDDED5RZ134567',
        '2021 Chevrolet Silverado 1500 LT, Summit White, 5.3L V8, 4WD, 52,310 miles.',
        'Trailering package, spray-in bedliner, remote start.',
        [['INTERNET_PRICE', 36900]]),
    ],
  },
  {
    subscriptionId: SIMULATOR_SUBSCRIPTIONS.sunrise,
    orgId: '7a1c3e5f-2b4d-4f6a-8c0e-9d1b3f5a7c20',
    entityId: 'ENT-SUNRISE-0417',
    orgName: 'Sunrise Motors',
    status: 'active',
    activationDate: '2024-06-17',
    deactivationDate: '',
    environment: 'production',
    dealerCodes: ['SUNMTR01', 'SUNMTR02'],
    address: '4820 E Camelback Rd, Phoenix, AZ 85018, USA',
    countryCode: 'US',
    phoneNumber: '+1-602-555-0140',
    apis: [...ALL_SIMULATED_APIS],
    crmConfigured: false,
    appointments: [
      appointment('300501', '2026-01-05T07:30:00-07:00', ['A/C performance check', 'Recharge refrigerant'],
        { vin: '2T3P1RFV0RW223344', miles: 27310 }, { id: 'C-51001', phone: '+1-602-555-0141' },
        'ADV-21', 'A/C blows warm at idle.', 'Customer works nearby; call when ready.'),
      appointment('300502', '2026-01-06T09:00:00-07:00', ['Oil and filter change'],
        { vin: '1FMCU9H60RUA34455', miles: 15022 }, { id: 'C-51002', phone: '+1-602-555-0142' },
        'ADV-22', 'None.', 'Synthetic blend only.'),
      appointment('300503', '2026-01-08T12:00:00-07:00', ['Replace cabin air filter', 'Tire rotation'],
        { vin: '5NPD84LFXRH245566', miles: 38904 }, { id: 'C-51003', phone: '+1-602-555-0143' },
        'ADV-21', 'Dusty smell from the vents.', 'Monsoon-season dust.'),
      appointment('300504', '2026-01-12T08:15:00-07:00', ['Coolant flush', 'Inspect radiator hoses'],
        { vin: 'JM3KFBCM2R0256677', miles: 71440 }, { id: 'C-51004', phone: '+1-602-555-0144' },
        'ADV-22', 'Temperature gauge runs high in traffic.', 'Pressure-test the system first.'),
    ],
    vehicles: [
      vehicle('MV-SUN-0101', 'NEW', 2026, 'Mazda', 'CX-5', 'JM3KFBCM2R0256677',
        '2026 Mazda CX-5 2.5 S Premium, Soul Red Crystal, AWD.',
        'Premium interior, Bose audio and i-Activ all-wheel drive.',
        [['MSRP', 34120], ['INTERNET_PRICE', 33480]]),
      vehicle('MV-SUN-0102', 'USED', 2024, 'Toyota', 'RAV4 Hybrid', '2T3P1RFV0RW223344',
        '2024 Toyota RAV4 Hybrid XLE, Lunar Rock, AWD, 27,310 miles.',
        'Balance of factory hybrid warranty, 40 mpg combined.',
        [['INTERNET_PRICE', 33995]]),
      vehicle('MV-SUN-0103', 'USED', 2024, 'Hyundai', 'Elantra', '5NPD84LFXRH245566',
        '2024 Hyundai Elantra SEL, Intense Blue, 2.0L, 38,904 miles.',
        "Great commuter with the rest of Hyundai's 10-year powertrain warranty.",
        [['INTERNET_PRICE', 19750]]),
    ],
  },
  {
    subscriptionId: SIMULATOR_SUBSCRIPTIONS.lakeside,
    orgId: '0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f53',
    entityId: 'ENT-LAKESIDE-0288',
    orgName: 'Lakeside Auto Group',
    status: 'inactive',
    activationDate: '2022-02-14',
    deactivationDate: '2025-09-30',
    environment: 'production',
    dealerCodes: ['LKSIDE01'],
    address: '2300 E Washington Ave, Madison, WI 53704, USA',
    countryCode: 'US',
    phoneNumber: '+1-608-555-0160',
    apis: [...ALL_SIMULATED_APIS],
    crmConfigured: true,
    appointments: [
      appointment('700101', '2025-09-22T08:00:00-05:00', ['Oil and filter change'],
        { vin: '1C4RJFBG8RC178901', miles: 48800 }, { id: 'C-70001', phone: '+1-608-555-0161' },
        'ADV-31', 'None.', 'Last appointment before the subscription ended.'),
    ],
    vehicles: [
      vehicle('MV-LAKE-0001', 'USED', 2020, 'Jeep', 'Grand Cherokee', '1C4RJFBG8RC178901',
        '2020 Jeep Grand Cherokee Limited, Diamond Black, 3.6L V6, 4x4, 48,800 miles.',
        'Leather, panoramic sunroof, Quadra-Trac II.',
        [['INTERNET_PRICE', 24995]]),
    ],
  },
  {
    subscriptionId: SIMULATOR_SUBSCRIPTIONS.harbor,
    orgId: '4c6e8a0b-1d3f-4a5c-9e7b-2f4d6a8c0e15',
    entityId: 'ENT-HARBOR-0533',
    orgName: 'Harbor View Motors',
    status: 'active',
    activationDate: '2025-04-01',
    deactivationDate: '',
    environment: 'production',
    dealerCodes: ['HBRVW01'],
    address: '1501 Alaskan Way, Seattle, WA 98101, USA',
    countryCode: 'US',
    phoneNumber: '+1-206-555-0180',
    apis: ['service-appointments-v3', 'crm-leads-v1'],
    crmConfigured: true,
    appointments: [
      appointment('510301', '2026-01-07T08:00:00-08:00', ['Replace wiper blades', 'Headlight aim'],
        { vin: '3GNKBCR4XRS190123', miles: 44120 }, { id: 'C-53001', phone: '+1-206-555-0181' },
        'ADV-41', 'Poor visibility in rain.', 'Rainy-season special applies.'),
      appointment('510302', '2026-01-09T10:30:00-08:00', ['Brake fluid exchange'],
        { vin: 'KM8J3CAL7RU189012', miles: 36018 }, { id: 'C-53002', phone: '+1-206-555-0182' },
        'ADV-42', 'Soft brake pedal.', 'Every 3 years per schedule.'),
    ],
    vehicles: [
      vehicle('MV-HBR-0001', 'NEW', 2026, 'Kia', 'Sportage', 'KM8J3CAL7RU189012',
        '2026 Kia Sportage EX, Jungle Wood Green, AWD.',
        'Not listed: this subscription does not include the inventory API.',
        [['MSRP', 32590]]),
    ],
  },
];

/** A fresh deep copy of the sample dealers, keyed by subscription id. */
export function createSampleDealers(): Map<string, DealerRecord> {
  return new Map(structuredClone(SAMPLE_DEALERS).map((dealer) => [dealer.subscriptionId, dealer]));
}
